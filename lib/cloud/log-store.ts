// Where driver and executor logs outlive their worker: an S3 bucket (in AWS the stack's, with
// a lifecycle rule; locally fauxqs's S3). The layout and the reads' arithmetic are
// lib/core/logs.ts's; this is only the I/O.

import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import {
  chunkName,
  endName,
  type LogOwner,
  type LogStream,
  listFrom,
  planRead,
  readListing,
  streamPrefix,
} from '../core/logs.js';

export interface LogStore {
  readonly s3: S3Client;
  readonly bucket: string;
}

export function openLogStore(bucket: string, config: S3ClientConfig = {}): LogStore {
  return {
    bucket,
    // Path-style at a stand-in's endpoint: 127.0.0.1 has no virtual-host names.
    s3: new S3Client(config.endpoint ? { ...config, forcePathStyle: true } : config),
  };
}

/** Local mode and the tests: the stand-in's bucket, made when missing. */
export async function ensureLogBucket(store: LogStore): Promise<void> {
  await store.s3.send(new CreateBucketCommand({ Bucket: store.bucket }));
}

export interface ShippedChunk {
  readonly owner: LogOwner;
  readonly stream: LogStream;
  readonly offset: number;
  readonly data: Uint8Array;
}

/** A chunk is an object named by its offset: writing it again writes the same object. */
export async function writeChunk(store: LogStore, c: ShippedChunk): Promise<void> {
  await store.s3.send(
    new PutObjectCommand({
      Bucket: store.bucket,
      Key: chunkName(c.owner, c.stream, c.offset),
      Body: c.data,
      ContentType: 'application/octet-stream',
    }),
  );
}

export async function dropChunks(
  store: LogStore,
  owner: LogOwner,
  stream: LogStream,
  offsets: readonly number[],
): Promise<void> {
  for (let i = 0; i < offsets.length; i += 1000) {
    await store.s3.send(
      new DeleteObjectsCommand({
        Bucket: store.bucket,
        Delete: {
          Objects: offsets.slice(i, i + 1000).map((o) => ({ Key: chunkName(owner, stream, o) })),
          Quiet: true,
        },
      }),
    );
  }
}

/** The stream is whole: its process ended and everything it wrote was shipped. */
export async function endStream(
  store: LogStore,
  owner: LogOwner,
  stream: LogStream,
  size: number,
): Promise<void> {
  await store.s3.send(
    new PutObjectCommand({
      Bucket: store.bucket,
      Key: endName(owner, stream),
      Body: JSON.stringify({ size }),
      ContentType: 'application/json',
    }),
  );
}

export interface LogRead {
  readonly from: number;
  readonly data: Buffer;
  readonly next: number;
  /** Nothing more will be written, and this read reached the end. */
  readonly complete: boolean;
}

/** [from, from + size) as far as it is stored: one listing and a ranged GET per chunk. */
export async function readLog(
  store: LogStore,
  owner: LogOwner,
  stream: LogStream,
  from: number,
  size: number,
): Promise<LogRead> {
  const prefix = streamPrefix(owner, stream);
  const after = listFrom(owner, stream, from);
  const listed = await store.s3.send(
    new ListObjectsV2Command({
      Bucket: store.bucket,
      Prefix: prefix,
      ...(after ? { StartAfter: after } : {}),
    }),
  );
  const { chunks, ended } = readListing(
    prefix,
    (listed.Contents ?? []).map((o) => ({ name: o.Key ?? '', size: o.Size ?? 0 })),
  );
  const plan = planRead(chunks, from, size);
  const parts = await Promise.all(
    plan.parts.map(async (p) => {
      const got = await store.s3.send(
        new GetObjectCommand({
          Bucket: store.bucket,
          Key: p.name,
          Range: `bytes=${p.start}-${p.end - 1}`,
        }),
      );
      return Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    }),
  );
  const end = Math.max(0, ...chunks.map((c) => c.offset + c.size));
  return {
    from: plan.from,
    data: Buffer.concat(parts),
    next: plan.next,
    complete: ended && !listed.IsTruncated && plan.next >= end,
  };
}
