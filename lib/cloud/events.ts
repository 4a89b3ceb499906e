// Where state-change events go: the stack's EventBridge bus in AWS, a JSON-lines file
// locally. Both write the same entry, EventBridge's envelope, so a consumer written against
// the local file reads the bus's events unchanged.

import { appendFile } from 'node:fs/promises';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DETAIL_TYPES, EVENT_SOURCE, type StateChange } from '../core/events.js';
import type { EventSink } from '../store/outbox.js';
import { type MetricsSink, recordStateChanges } from './metrics.js';

/** EventBridge takes at most 10 entries per PutEvents. */
const PUT_EVENTS_MAX = 10;

/** The entry of one change: its id and order are in the detail (EventBridge sets its own). */
export const eventEntry = (change: StateChange) => ({
  Source: EVENT_SOURCE,
  DetailType: DETAIL_TYPES[change.kind],
  Time: new Date(change.at),
  Detail: JSON.stringify(change),
});

export function eventBridgeSink(
  client: EventBridgeClient,
  busName: string,
  failed: (error: unknown) => void,
): EventSink {
  return {
    async publish(changes) {
      for (let i = 0; i < changes.length; i += PUT_EVENTS_MAX) {
        const entries = changes
          .slice(i, i + PUT_EVENTS_MAX)
          .map((c) => ({ ...eventEntry(c), EventBusName: busName }));
        const out = await client.send(new PutEventsCommand({ Entries: entries }));
        if ((out.FailedEntryCount ?? 0) > 0) {
          const codes = (out.Entries ?? []).map((e) => e.ErrorCode).filter(Boolean);
          throw new Error(
            `EventBridge refused ${out.FailedEntryCount} event(s): ${codes.join(', ')}`,
          );
        }
      }
    },
    failed,
  };
}

/** One line per event, EventBridge's event as a rule's target receives it. */
export function fileSink(path: string, failed: (error: unknown) => void): EventSink {
  return {
    async publish(changes) {
      const lines = changes.map((c) => {
        const e = eventEntry(c);
        return `${JSON.stringify({
          id: c.id,
          source: e.Source,
          'detail-type': e.DetailType,
          time: e.Time.toISOString(),
          detail: c,
        })}\n`;
      });
      await appendFile(path, lines.join(''));
    },
    failed,
  };
}

/** A sink whose published changes are also counted (state changes, failures, latencies). */
export function countedEvents(sink: EventSink, metrics: MetricsSink): EventSink {
  return {
    async publish(changes) {
      await sink.publish(changes);
      recordStateChanges(metrics, changes);
    },
    failed: sink.failed,
  };
}
