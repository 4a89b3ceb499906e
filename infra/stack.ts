// The sparkplane control plane in one stack: the HTTP API and its four functions, the
// scheduler on its FIFO nudge queue, cleanup every minute, the state table, the keys, the
// ECS cluster and task definition the worker pool starts workers from, alarms and a dashboard
// (infra/metrics.ts).
// Environment-agnostic (no lookups), so `cdk synth` works offline.

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Aws,
  type CfnElement,
  CfnOutput,
  CfnResource,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, type HttpMethod, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Repository } from 'aws-cdk-lib/aws-ecr';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { LambdaTarget } from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import { EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { API_ROUTES, type ApiFunction } from '../lib/api/routes.js';
import { DETAIL_TYPES, EVENT_SOURCE } from '../lib/core/events.js';
import { CONNECT_FIRST_PORT, CONNECT_PORT_RETRIES } from '../lib/core/session.js';
import { EXPIRES_AT, LISTING, LISTING_INDEX } from '../lib/store/layout.js';
import { buildUiPage } from '../lib/ui/page.js';
import { METRICS_ENVIRONMENT, metricAlarms, metricsDashboard } from './metrics.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The address range of the VPC the stack makes when it is given none. */
const NEW_VPC_CIDR = '10.0.0.0/16';

/** The web UI, built once per synth into a file named by its content, for the bundler to copy. */
function uiPageFile(): string {
  const page = buildUiPage();
  const file = join(
    tmpdir(),
    `sparkplane-ui-${createHash('sha256').update(page).digest('hex').slice(0, 16)}.html`,
  );
  writeFileSync(file, page);
  return file;
}

/** A cdk-nag finding accepted on purpose, and why (the tests fail on any other). */
const acknowledge = (scope: Construct, id: string, reason: string) =>
  Validations.of(scope).acknowledge({ id: `AwsSolutions-${id}`, reason });

/** Settings, from the CDK context (`-c key=value` or cdk.json) or as props. */
export interface SparkplaneSettings {
  /** Workers the pool keeps (and starts at once); 0 is zero idle cost. */
  readonly minWorkers: number;
  readonly maxWorkers: number;
  /** Fargate task size: vCPU units (1024 = 1 vCPU) and MiB. */
  readonly workerCpu: number;
  readonly workerMemoryMiB: number;
  /** An idle worker (nothing to run) is stopped after this many seconds. */
  readonly idleTimeoutSec: number;
  /** The master's Spark properties (`-Dspark.deploy.spreadOutApps=false …`). */
  readonly sparkMasterOpts: string;
  /** The workers' (`-Dspark.worker.timeout=…`, cleanup settings). */
  readonly sparkWorkerOpts: string;
  /** An internal load balancer on 6066 for `spark-submit --master spark://…`. */
  readonly loadBalancer: boolean;
  /**
   * How the load balancer's callers prove who they are: `jws` (the default) as on the
   * API, or `network`: anyone who reaches it from inside the VPC, since stock spark-submit
   * sends no token.
   */
  readonly loadBalancerAuth: 'jws' | 'network';
  /** An existing VPC instead of a new one without NAT gateways. */
  readonly vpc?: {
    readonly vpcId: string;
    readonly availabilityZones: readonly string[];
    readonly subnetIds: readonly string[];
    /** Whether those subnets route to an internet gateway (workers get public IPs). */
    readonly publicSubnets: boolean;
    readonly cidr: string;
  };
  /** Keep the state table when the stack is deleted (the default). */
  readonly retainTable: boolean;
  /** The HTTP API's steady requests per second and burst: a flood is refused with 429. */
  readonly apiRateLimit: number;
  readonly apiBurstLimit: number;
  /**
   * Concurrency reserved for the scheduler and for cleanup each, so that a flood on the
   * public routes cannot starve them; 0 reserves none (accounts whose limit is too low).
   */
  readonly reservedConcurrency: number;
  /** Days drivers' and executors' logs are kept in the log bucket. */
  readonly logRetentionDays: number;
  /**
   * Fargate's on-demand price inputs in USD, per vCPU-hour and per GB-hour, for the runs'
   * estimated cost. The defaults are Linux/ARM64 in us-east-1; set your region's.
   */
  readonly fargateVcpuHourUsd: number;
  readonly fargateGbHourUsd: number;
  /**
   * An image already in a registry (e.g. `<account>.dkr.ecr.<region>.amazonaws.com/sparkplane:1`)
   * for the workers, instead of building the Dockerfile at deploy time (which needs Docker).
   */
  readonly workerImage?: string;
}

export const DEFAULT_SETTINGS: SparkplaneSettings = {
  minWorkers: 0,
  maxWorkers: 10,
  workerCpu: 1024,
  workerMemoryMiB: 4096,
  idleTimeoutSec: 600,
  sparkMasterOpts: '',
  sparkWorkerOpts: '',
  loadBalancer: false,
  loadBalancerAuth: 'jws',
  retainTable: true,
  apiRateLimit: 500,
  apiBurstLimit: 1000,
  reservedConcurrency: 2,
  logRetentionDays: 30,
  fargateVcpuHourUsd: 0.03238,
  fargateGbHourUsd: 0.00356,
};

/** Reads the settings from the context, each falling back to its default. */
export function settingsFromContext(node: Construct['node']): SparkplaneSettings {
  const get = (key: string) => node.tryGetContext(key) as string | number | boolean | undefined;
  const num = (key: keyof SparkplaneSettings) => {
    const v = get(key);
    return v === undefined ? (DEFAULT_SETTINGS[key] as number) : Number(v);
  };
  const bool = (key: keyof SparkplaneSettings) => {
    const v = get(key);
    return v === undefined ? (DEFAULT_SETTINGS[key] as boolean) : v === true || v === 'true';
  };
  const list = (key: string) =>
    String(get(key) ?? '')
      .split(',')
      .filter(Boolean);
  const vpcId = get('vpcId');
  const workerImage = get('workerImage');
  return {
    minWorkers: num('minWorkers'),
    maxWorkers: num('maxWorkers'),
    workerCpu: num('workerCpu'),
    workerMemoryMiB: num('workerMemoryMiB'),
    idleTimeoutSec: num('idleTimeoutSec'),
    sparkMasterOpts: String(get('sparkMasterOpts') ?? ''),
    sparkWorkerOpts: String(get('sparkWorkerOpts') ?? ''),
    loadBalancer: bool('loadBalancer'),
    loadBalancerAuth: get('loadBalancerAuth') === 'network' ? 'network' : 'jws',
    retainTable: bool('retainTable'),
    apiRateLimit: num('apiRateLimit'),
    apiBurstLimit: num('apiBurstLimit'),
    reservedConcurrency: num('reservedConcurrency'),
    logRetentionDays: num('logRetentionDays'),
    fargateVcpuHourUsd: num('fargateVcpuHourUsd'),
    fargateGbHourUsd: num('fargateGbHourUsd'),
    ...(workerImage ? { workerImage: String(workerImage) } : {}),
    ...(vpcId
      ? {
          vpc: {
            vpcId: String(vpcId),
            availabilityZones: list('availabilityZones'),
            subnetIds: list('subnetIds'),
            publicSubnets: get('publicSubnets') === true || get('publicSubnets') === 'true',
            cidr: String(get('vpcCidr') ?? '10.0.0.0/8'),
          },
        }
      : {}),
  };
}

/**
 * A prebuilt worker image. One in ECR is pulled with the task's execution role, which gets
 * read access to that repository only; any other registry must be public.
 */
function workerImageFrom(scope: Construct, uri: string): ecs.ContainerImage {
  const ecrImage =
    /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)(?::([^@]+))?(?:@(.+))?$/.exec(
      uri,
    );
  if (!ecrImage) return ecs.ContainerImage.fromRegistry(uri);
  const [, account, region, name, tag, digest] = ecrImage;
  const repository = Repository.fromRepositoryAttributes(scope, 'WorkerRepository', {
    repositoryName: name as string,
    repositoryArn: `arn:${Aws.PARTITION}:ecr:${region}:${account}:repository/${name}`,
  });
  return ecs.ContainerImage.fromEcrRepository(repository, digest ?? tag ?? 'latest');
}

export class SparkplaneStack extends Stack {
  readonly table: TableV2;
  readonly api: HttpApi;

  constructor(
    scope: Construct,
    id: string,
    props: StackProps & { settings?: SparkplaneSettings } = {},
  ) {
    super(scope, id, props);
    const settings = props.settings ?? settingsFromContext(this.node);

    // Every fact the master knows lives here (DESIGN.md): kept when the stack goes away.
    this.table = new TableV2(this, 'State', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: EXPIRES_AT,
      // Drivers and applications by state, for the paged lists (lib/store/listing.ts).
      globalSecondaryIndexes: [
        {
          indexName: LISTING_INDEX,
          partitionKey: { name: LISTING, type: AttributeType.STRING },
          sortKey: { name: 'sk', type: AttributeType.STRING },
        },
      ],
      removalPolicy: settings.retainTable ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    // Drivers' and executors' stdout and stderr, shipped by the workers through the API and
    // read by the logs function: S3, because a stream is read by byte offset (an object per
    // chunk, named by its offset) and a lifecycle rule bounds how long it is kept.
    const logBucket = new Bucket(this, 'SparkLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          expiration: Duration.days(settings.logRetentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // Kept when the stack goes, like the table; the lifecycle rule empties it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      logBucket,
      'S1',
      "Only the workers and logs functions reach this bucket, and their calls are in the API access log and the functions' logs; S3 access logs would add a second bucket for the same record",
    );

    // Two keys, never the same: Spark's JWS key for submissions, one for workers. 64
    // letters and digits read as base64url are 384 bits.
    const keySecret = (name: string, what: string) =>
      new Secret(this, name, {
        description: `sparkplane ${what} (base64url, JWS HS256)`,
        generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      });
    const submissionKey = keySecret('SubmissionKey', 'submission key');
    const workerKey = keySecret('WorkerKey', 'worker key');
    for (const key of [submissionKey, workerKey]) {
      acknowledge(
        key,
        'SMG4',
        'Rotating a signing key invalidates every token signed with it (users, workers, running drivers): rotate by hand, as the README says',
      );
    }

    const deadLetters = new Queue(this, 'NudgesDeadLetters', {
      fifo: true,
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    const nudges = new Queue(this, 'Nudges', {
      fifo: true,
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      // A pass takes the lease for 30 s at most; a message is seen again after that.
      visibilityTimeout: Duration.seconds(60),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 20 },
    });
    // The watch: delayed ticks of the timeout checks and ECS's stopped worker tasks, for
    // cleanup. Standard, not FIFO: a FIFO queue has no per-message delay.
    const watchDeadLetters = new Queue(this, 'WatchDeadLetters', {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    const watch = new Queue(this, 'Watch', {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      visibilityTimeout: Duration.seconds(120),
      deadLetterQueue: { queue: watchDeadLetters, maxReceiveCount: 5 },
    });
    const workerQueuePrefix = `${this.stackName}-worker-`.toLowerCase();
    const workerQueues = `arn:${Aws.PARTITION}:sqs:${Aws.REGION}:${Aws.ACCOUNT_ID}:${workerQueuePrefix}*`;
    const queuesWildcard = `IAM5[Resource::arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:${workerQueuePrefix}*]`;
    const queuesReason =
      "Each worker gets its own command queue when it registers; this stack's queues share its prefix, and only its queues match";

    // ---- network and workers ----
    const vpc = settings.vpc
      ? ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
          vpcId: settings.vpc.vpcId,
          availabilityZones: [...settings.vpc.availabilityZones],
          ...(settings.vpc.publicSubnets
            ? { publicSubnetIds: [...settings.vpc.subnetIds] }
            : { privateSubnetIds: [...settings.vpc.subnetIds] }),
          vpcCidrBlock: settings.vpc.cidr,
        })
      : new ec2.Vpc(this, 'Vpc', {
          ipAddresses: ec2.IpAddresses.cidr(NEW_VPC_CIDR),
          // No NAT gateway (its hourly price is idle cost): workers get public IPs and
          // reach AWS through the internet gateway; nothing can reach them from outside.
          natGateways: 0,
          maxAzs: 2,
          subnetConfiguration: [{ name: 'workers', subnetType: ec2.SubnetType.PUBLIC }],
          flowLogs: { all: { trafficType: ec2.FlowLogTrafficType.REJECT } },
        });
    // The range as a literal, not the VPC's attribute: one reference less to resolve.
    const vpcCidr = settings.vpc?.cidr ?? NEW_VPC_CIDR;
    const publicWorkers = settings.vpc ? settings.vpc.publicSubnets : true;
    const workerSubnets = vpc.selectSubnets({
      subnetType: publicWorkers ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS,
    });
    const workerGroup = new ec2.SecurityGroup(this, 'WorkerGroup', {
      vpc,
      description:
        'sparkplane workers: drivers and executors reach each other, nothing else gets in',
      allowAllOutbound: true,
    });
    workerGroup.addIngressRule(workerGroup, ec2.Port.allTcp(), 'executors to drivers and back');
    // Spark Connect sessions listen on their worker from 15002 on: reachable inside the VPC.
    workerGroup.addIngressRule(
      ec2.Peer.ipv4(vpcCidr),
      ec2.Port.tcpRange(CONNECT_FIRST_PORT, CONNECT_FIRST_PORT + CONNECT_PORT_RETRIES),
      'Spark Connect clients inside the VPC',
    );
    acknowledge(
      workerGroup,
      'EC23',
      "Open to the VPC's own address range only, on the Spark Connect sessions' ports",
    );

    const workersCluster = new ecs.Cluster(this, 'WorkerCluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    const task = new ecs.FargateTaskDefinition(this, 'Worker', {
      cpu: settings.workerCpu,
      memoryLimitMiB: settings.workerMemoryMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    const workerCores = Math.max(1, Math.floor(settings.workerCpu / 1024));
    // Spark's default: all memory but 1 GiB for drivers and executors.
    const workerMemoryMb = Math.max(1024, settings.workerMemoryMiB - 1024);
    const container = task.addContainer('worker', {
      image: settings.workerImage
        ? workerImageFrom(this, settings.workerImage)
        : ecs.ContainerImage.fromAsset(ROOT, { platform: Platform.LINUX_ARM64 }),
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'worker',
        logGroup: new LogGroup(this, 'WorkerLogs', { retention: RetentionDays.ONE_MONTH }),
      }),
      environment: {
        SPARK_WORKER_CORES: String(workerCores),
        SPARK_WORKER_MEMORY: `${workerMemoryMb}m`,
        SPARK_WORKER_OPTS: settings.sparkWorkerOpts,
        WORKER_QUEUE_PREFIX: workerQueuePrefix,
      },
      secrets: { SPARKPLANE_WORKER_KEY: ecs.Secret.fromSecretsManager(workerKey) },
    });
    acknowledge(
      task,
      'IAM5[Resource::*]',
      "The execution role's ecr:GetAuthorizationToken has no resource-level permissions (CDK's image pull grant)",
    );
    acknowledge(
      task,
      'ECS2',
      'The environment holds settings only (cores, memory, Spark options, the API URL); the worker key comes from Secrets Manager',
    );

    // ---- functions ----
    const logGroup = (name: string) =>
      new LogGroup(this, `${name}Logs`, { retention: RetentionDays.ONE_MONTH });
    const common = {
      TABLE_NAME: this.table.tableName,
      NUDGE_QUEUE_URL: nudges.queueUrl,
      // The price inputs first: the operator's own options override them.
      SPARK_MASTER_OPTS: [
        `-Dspark.sparkplane.usage.vcpuHourPrice=${settings.fargateVcpuHourUsd}`,
        `-Dspark.sparkplane.usage.gbHourPrice=${settings.fargateGbHourUsd}`,
        settings.sparkMasterOpts,
      ]
        .join(' ')
        .trim(),
      SPARKPLANE_SUBMISSION_KEY_SECRET: submissionKey.secretArn,
      SPARKPLANE_WORKER_KEY_SECRET: workerKey.secretArn,
      WORKER_QUEUE_PREFIX: workerQueuePrefix,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...METRICS_ENVIRONMENT,
    };
    const pool = {
      WORKER_CLUSTER: workersCluster.clusterName,
      WORKER_TASK_DEFINITION: task.taskDefinitionArn,
      WORKER_CONTAINER: container.containerName,
      WORKER_SUBNETS: workerSubnets.subnetIds.join(','),
      WORKER_SECURITY_GROUPS: workerGroup.securityGroupId,
      WORKER_PUBLIC_IP: String(publicWorkers),
      WORKER_STARTED_BY: 'sparkplane',
      WORKER_CORES: String(workerCores),
      WORKER_MEMORY_MB: String(workerMemoryMb),
      POOL_MIN_WORKERS: String(settings.minWorkers),
      POOL_MAX_WORKERS: String(settings.maxWorkers),
      POOL_IDLE_TIMEOUT_SEC: String(settings.idleTimeoutSec),
    };
    const uiPage = uiPageFile();
    const fn = (
      name: string,
      entry: string,
      environment: Record<string, string>,
      {
        timeout = 29,
        reservedConcurrentExecutions,
        memorySize = 1024,
      }: { timeout?: number; reservedConcurrentExecutions?: number; memorySize?: number } = {},
    ) =>
      new NodejsFunction(this, name, {
        ...(reservedConcurrentExecutions === undefined ? {} : { reservedConcurrentExecutions }),
        entry: `${ROOT}functions/${entry}.ts`,
        handler: 'handler',
        runtime: Runtime.NODEJS_24_X,
        architecture: Architecture.ARM_64,
        memorySize,
        timeout: Duration.seconds(timeout),
        logGroup: logGroup(name),
        environment: { ...common, ...environment },
        bundling: {
          format: OutputFormat.ESM,
          target: 'node24',
          minify: true,
          sourceMap: true,
          // Bundled, not the runtime's: the SDK versions tested are the ones deployed.
          externalModules: [],
          // ESM builds first: jsonc-parser's UMD main requires its parts at run time,
          // which a bundle cannot resolve.
          mainFields: ['module', 'main'],
          banner:
            "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
          // The submissions function serves the web UI at `/` (functions/submissions.ts).
          ...(entry === 'submissions'
            ? {
                commandHooks: {
                  beforeBundling: () => [],
                  beforeInstall: () => [],
                  afterBundling: (_in: string, out: string) => [`cp "${uiPage}" "${out}/ui.html"`],
                },
              }
            : {}),
        },
      });

    const http: Record<ApiFunction, NodejsFunction> = {
      submissions: fn(
        'Submissions',
        'submissions',
        settings.loadBalancer ? { SPARKPLANE_LOAD_BALANCER_AUTH: settings.loadBalancerAuth } : {},
      ),
      workers: fn('Workers', 'workers', {}),
      // Workers long-poll their queues through it: it mostly waits, so it gets little memory.
      commands: fn('Commands', 'commands', {}, { memorySize: 128 }),
      applications: fn('Applications', 'applications', {}),
      sessions: fn('Sessions', 'sessions', {}),
      logs: fn('Logs', 'logs', { LOG_BUCKET: logBucket.bucketName }),
      cluster: fn('Cluster', 'cluster', {}),
    };
    // Workers ship logs through their function; the logs function only reads them.
    http.workers.addEnvironment('LOG_BUCKET', logBucket.bucketName);
    http.workers.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [logBucket.arnForObjects('logs/*')],
      }),
    );
    http.logs.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [logBucket.arnForObjects('logs/*')],
      }),
    );
    http.logs.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [logBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['logs/*'] } },
      }),
    );
    for (const f of [http.workers, http.logs]) {
      acknowledge(
        f,
        `IAM5[Resource::<${Stack.of(this).getLogicalId(logBucket.node.defaultChild as CfnBucket)}.Arn>/logs/*]`,
        'Each chunk of a log is its own object under logs/, named by the run and the offset: no object is known before it is written',
      );
    }
    const background = {
      timeout: 60,
      ...(settings.reservedConcurrency > 0
        ? { reservedConcurrentExecutions: settings.reservedConcurrency }
        : {}),
    };
    const scheduler = fn('Scheduler', 'scheduler', pool, background);
    const cleanup = fn('Cleanup', 'cleanup', pool, background);
    // Registrations start the watch; cleanup runs it and starts it again when it broke.
    for (const f of [http.workers, http.applications, cleanup]) {
      f.addEnvironment('WATCH_QUEUE_URL', watch.queueUrl);
      watch.grantSendMessages(f);
    }

    for (const f of [...Object.values(http), scheduler, cleanup]) {
      // Every function but the commands' reads and writes the cluster's state; the logs
      // function only reads it (is the driver or executor there, has it ended).
      if (f === http.logs) this.table.grantReadData(f);
      else if (f !== http.commands) this.table.grantReadWriteData(f);
      // Both keys everywhere: a token of the wrong kind is told apart from a bad one.
      submissionKey.grantRead(f);
      workerKey.grantRead(f);
      acknowledge(
        f,
        'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'The basic execution role only lets the function write its own logs',
      );
    }
    for (const f of [http.submissions, http.workers, http.applications, http.sessions, cleanup]) {
      nudges.grantSendMessages(f);
    }
    // Kill and launch commands go to each worker's own queue; registration creates it,
    // cleanup deletes the queues of forgotten workers.
    const queues = (f: NodejsFunction, actions: string[]) =>
      f.addToRolePolicy(
        new PolicyStatement({
          actions: ['sqs:GetQueueUrl', 'sqs:SendMessage', ...actions],
          resources: [workerQueues],
        }),
      );
    // The cluster function tells workers the UI decommissioned them.
    for (const f of [http.submissions, http.applications, http.sessions, http.cluster, scheduler]) {
      queues(f, []);
    }
    queues(http.workers, ['sqs:CreateQueue', 'sqs:SetQueueAttributes']);
    queues(cleanup, ['sqs:DeleteQueue']);
    // Workers hold no AWS credentials for their queues: this function receives for them.
    http.commands.addToRolePolicy(
      new PolicyStatement({
        actions: ['sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'],
        resources: [workerQueues],
      }),
    );
    for (const f of [...Object.values(http), scheduler, cleanup]) {
      acknowledge(f, queuesWildcard, queuesReason);
      if (f !== http.commands) {
        acknowledge(
          f,
          `IAM5[Resource::<${Stack.of(this).getLogicalId(this.table.node.defaultChild as CfnElement)}.Arn>/index/*]`,
          "The table's grant names its indexes by wildcard; it has one, the listing index",
        );
      }
    }
    for (const f of [scheduler, cleanup]) {
      f.addToRolePolicy(
        new PolicyStatement({
          actions: ['ecs:RunTask'],
          resources: [task.taskDefinitionArn],
          conditions: { ArnEquals: { 'ecs:cluster': workersCluster.clusterArn } },
        }),
      );
      f.addToRolePolicy(
        new PolicyStatement({
          actions: ['ecs:StopTask', 'ecs:DescribeTasks'],
          resources: [
            `arn:${Aws.PARTITION}:ecs:${Aws.REGION}:${Aws.ACCOUNT_ID}:task/${workersCluster.clusterName}/*`,
          ],
        }),
      );
      f.addToRolePolicy(
        new PolicyStatement({
          actions: ['ecs:ListTasks'],
          resources: ['*'],
          conditions: { ArnEquals: { 'ecs:cluster': workersCluster.clusterArn } },
        }),
      );
      f.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['iam:PassRole'],
          resources: [task.taskRole.roleArn, task.obtainExecutionRole().roleArn],
        }),
      );
      acknowledge(
        f,
        'IAM5[Resource::*]',
        'ecs:ListTasks has no resource-level permissions; the statement is limited to the worker cluster by condition',
      );
      acknowledge(
        f,
        `IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/<${this.getLogicalId(workersCluster.node.defaultChild as ecs.CfnCluster)}>/*]`,
        "Workers' tasks are started at run time: only tasks of the worker cluster match",
      );
    }

    scheduler.addEventSource(
      new SqsEventSource(nudges, {
        batchSize: 10,
        reportBatchItemFailures: true,
        // One message group makes passes serial anyway; two is the least SQS allows.
        maxConcurrency: 2,
      }),
    );
    new Rule(this, 'EveryMinute', {
      description: 'sparkplane cleanup: worker timeouts, retention, the worker pool',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(cleanup)],
    });
    cleanup.addEventSource(
      new SqsEventSource(watch, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: 2,
      }),
    );
    // A worker task that stops without a word (killed, out of memory, its host lost) is lost
    // at once, not after spark.worker.timeout.
    new Rule(this, 'WorkerTaskStopped', {
      description: 'sparkplane: a stopped worker task makes its worker lost',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: { clusterArn: [workersCluster.clusterArn], lastStatus: ['STOPPED'] },
      },
      targets: [new SqsQueue(watch)],
    });

    // ---- state-change events ----
    // Every driver, application and worker state change, once, on the stack's own bus
    // (lib/store/outbox.ts): orchestrators add their rules here instead of polling.
    const bus = new EventBus(this, 'Events');
    bus.archive('EventsArchive', {
      description: 'sparkplane state changes, kept to be replayed',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: Duration.days(settings.logRetentionDays),
    });
    // A queue any consumer can read the events from without a rule of its own.
    const eventsDeadLetters = new Queue(this, 'EventsDeadLetters', {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    const eventsQueue = new Queue(this, 'EventsQueue', {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: eventsDeadLetters, maxReceiveCount: 5 },
    });
    new Rule(this, 'StateChanges', {
      description: 'sparkplane: driver, application and worker state changes to a queue',
      eventBus: bus,
      eventPattern: { source: [EVENT_SOURCE], detailType: Object.values(DETAIL_TYPES) },
      targets: [new SqsQueue(eventsQueue)],
    });
    // Whatever writes a state change publishes it; the logs and commands functions do not.
    for (const f of [
      http.submissions,
      http.workers,
      http.applications,
      http.sessions,
      http.cluster,
      scheduler,
      cleanup,
    ]) {
      bus.grantPutEventsTo(f);
      f.addEnvironment('EVENT_BUS_NAME', bus.eventBusName);
    }

    // ---- the HTTP API ----
    const integrations = Object.fromEntries(
      Object.entries(http).map(([name, f]) => [name, new HttpLambdaIntegration(`${name}Route`, f)]),
    ) as Record<ApiFunction, HttpLambdaIntegration>;
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: RetentionDays.ONE_MONTH });
    this.api = new HttpApi(this, 'Api', {
      description: "sparkplane: Spark's REST submission protocol, workers, applications",
      createDefaultStage: false,
      // Spark's error servlet answers every path no other family claims.
      defaultIntegration: integrations.submissions,
    });
    acknowledge(
      this.api,
      'APIG4',
      "Every route authorizes in its function: Spark's JWSFilter semantics on the REST routes (its 403 answers), a separate worker credential on worker routes; a JWT authorizer could do neither",
    );
    this.api.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: settings.apiRateLimit, burstLimit: settings.apiBurstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    for (const { routeKey, fn: target } of API_ROUTES) {
      if (routeKey === '$default') continue;
      const [method, path] = routeKey.split(' ');
      this.api.addRoutes({
        path: path as string,
        methods: [method as HttpMethod],
        integration: integrations[target],
      });
    }
    const apiUrl = this.api.apiEndpoint;
    container.addEnvironment('SPARKPLANE_MASTER_URL', apiUrl);
    new CfnOutput(this, 'ApiUrl', {
      value: apiUrl,
      description: "The API: Spark's REST submissions under /v1/submissions",
    });
    new CfnOutput(this, 'SubmissionKeySecret', {
      value: submissionKey.secretArn,
      description: 'The JWS key that signs submission tokens (Spark JWSFilter secretKey)',
    });
    new CfnOutput(this, 'WorkerKeySecret', {
      value: workerKey.secretArn,
      description: 'The key workers register with: for worker agents run outside the stack',
    });
    new CfnOutput(this, 'EventBusName', {
      value: bus.eventBusName,
      description:
        'The bus of the state-change events (Spark Driver/Application/Worker State Change)',
    });
    new CfnOutput(this, 'EventsQueueUrl', {
      value: eventsQueue.queueUrl,
      description: 'Every state-change event, for a consumer without a rule of its own',
    });

    // ---- spark-submit's plain HTTP: an internal load balancer on 6066 ----
    if (settings.loadBalancer) {
      const lbGroup = new ec2.SecurityGroup(this, 'SubmitFromVpc', {
        vpc,
        description: 'spark-submit from inside the VPC to 6066',
        allowAllOutbound: false,
      });
      lbGroup.addIngressRule(ec2.Peer.ipv4(vpcCidr), ec2.Port.tcp(6066), 'spark-submit');
      acknowledge(lbGroup, 'EC23', "Open to the VPC's own address range only, on 6066");
      const lb = new elbv2.ApplicationLoadBalancer(this, 'Submit', {
        vpc,
        internetFacing: false,
        securityGroup: lbGroup,
        vpcSubnets: workerSubnets,
        dropInvalidHeaderFields: true,
      });
      acknowledge(
        lb,
        'ELB2',
        'Access logging needs the region when the template is made; this stack stays environment-agnostic. The submissions function logs every request',
      );
      lb.addListener('Rest', {
        port: 6066,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
        defaultTargetGroups: [
          new elbv2.ApplicationTargetGroup(this, 'SubmissionsTarget', {
            targets: [new LambdaTarget(http.submissions)],
          }),
        ],
      });
      new CfnOutput(this, 'MasterUrl', {
        value: `spark://${lb.loadBalancerDnsName}:6066`,
        description: 'For spark-submit --master (cluster deploy mode, REST), from inside the VPC',
      });
    }

    // ---- alarms (attach actions to taste) ----
    new Alarm(this, 'NudgesInDeadLetters', {
      alarmDescription: 'Scheduler nudges failed 20 times: passes are failing',
      metric: deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    metricAlarms(this);
    metricsDashboard(this, { functions: { ...http, scheduler, cleanup }, nudges, deadLetters });
    for (const [name, f] of Object.entries({ ...http, scheduler, cleanup })) {
      new Alarm(this, `${name[0]?.toUpperCase()}${name.slice(1)}Errors`, {
        alarmDescription: `The ${name} function fails (its logs say why)`,
        metric: f.metricErrors({ period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }
  }
}

/**
 * Leaves resources out of the stack's template: resource types (`AWS::…`) or construct paths
 * in the stack. For a local emulator that refuses a template holding what it does not
 * implement (the `testOnlyOmit` context); a stack deployed to AWS never has any left out.
 */
export function omitFromTemplate(stack: Stack, omitted: readonly string[]): void {
  for (const resource of stack.node.findAll()) {
    if (!(resource instanceof CfnResource)) continue;
    const path = resource.node.path.slice(stack.node.path.length + 1);
    if (
      omitted.some((o) => o === resource.cfnResourceType || o === path || `${o}/Resource` === path)
    ) {
      resource.node.scope?.node.tryRemoveChild(resource.node.id);
    }
  }
}
