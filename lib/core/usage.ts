// What a run held, from its launch to its end (or `now` while it runs): core-seconds,
// MiB-seconds and resource-seconds. A driver holds its own cores and memory; an application
// holds its executors'. Spark's master shows durations only; EMR Serverless bills these.

import type { Application, Driver, Executor, Held } from './model.js';

export interface Usage extends Held {
  /** Set when the master is given the price inputs (`usagePrices` of lib/core/config.ts). */
  readonly estimatedCostUsd?: number;
}

/** Fargate's on-demand price inputs: per vCPU-hour and per GB-hour of the worker tasks. */
export interface UsagePrices {
  readonly vcpuHourUsd: number;
  readonly gbHourUsd: number;
}

export const NOTHING_HELD: Held = { coreSeconds: 0, memoryMibSeconds: 0, resourceSeconds: {} };

/** Three decimals (a millisecond of one core), and no float noise in the figures. */
const round = (n: number, places = 3): number => Math.round(n * 10 ** places) / 10 ** places;

function held(
  from: number | undefined,
  to: number,
  cores: number,
  memoryMb: number,
  resources: Readonly<Record<string, number>>,
): Held {
  if (from === undefined) return NOTHING_HELD;
  const seconds = Math.max(0, to - from) / 1000;
  return {
    coreSeconds: round(cores * seconds),
    memoryMibSeconds: round(memoryMb * seconds),
    resourceSeconds: Object.fromEntries(
      Object.entries(resources).map(([name, n]) => [name, round(n * seconds)]),
    ),
  };
}

export function addHeld(a: Held, b: Held): Held {
  const resourceSeconds: Record<string, number> = { ...a.resourceSeconds };
  for (const [name, s] of Object.entries(b.resourceSeconds)) {
    resourceSeconds[name] = round((resourceSeconds[name] ?? 0) + s);
  }
  return {
    coreSeconds: round(a.coreSeconds + b.coreSeconds),
    memoryMibSeconds: round(a.memoryMibSeconds + b.memoryMibSeconds),
    resourceSeconds,
  };
}

/** An executor from its launch until `to`. */
export const executorHeld = (e: Executor, to: number): Held =>
  held(
    e.launchTimeMs,
    to,
    e.cores,
    e.memoryMb,
    Object.fromEntries(Object.entries(e.resources).map(([n, a]) => [n, a.length])),
  );

/**
 * The run's share of its workers' price: its cores at the vCPU price and its memory at the
 * GB price (Fargate's GB is GiB). Resources have no Fargate price.
 */
function priced(usage: Held, prices?: UsagePrices): Usage {
  if (!prices) return usage;
  const cost =
    (usage.coreSeconds / 3600) * prices.vcpuHourUsd +
    (usage.memoryMibSeconds / 1024 / 3600) * prices.gbHourUsd;
  return { ...usage, estimatedCostUsd: round(cost, 6) };
}

/** A driver's own usage: its cores, memory and resources from its launch. */
export function driverUsage(driver: Driver, now: number, prices?: UsagePrices): Usage {
  const { cores, memoryMb, resources } = driver.description;
  return priced(
    held(driver.launchTimeMs, driver.endTimeMs ?? now, cores, memoryMb, resources),
    prices,
  );
}

/**
 * An application's usage: what its ended executors held (kept on its record) and its live
 * ones so far; a live one stops counting when the application ended.
 */
export function applicationUsage(
  app: Pick<Application, 'id' | 'endTimeMs' | 'endedExecutorUsage'>,
  executors: readonly Executor[],
  now: number,
  prices?: UsagePrices,
): Usage {
  let total = app.endedExecutorUsage ?? NOTHING_HELD;
  for (const e of executors) {
    if (e.appId === app.id && e.endTimeMs === undefined) {
      total = addHeld(total, executorHeld(e, app.endTimeMs ?? now));
    }
  }
  return priced(total, prices);
}
