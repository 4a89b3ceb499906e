// The ECS adapter of the worker pool, against a mocked ECS client (ECS has no local stand-in).
import {
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcsLauncher } from '../../../lib/cloud/worker-pool.js';

const ecs = mockClient(ECSClient);
const options = {
  cluster: 'sparkplane-workers',
  taskDefinition: 'arn:aws:ecs:eu-west-1:1:task-definition/worker:3',
  containerName: 'worker',
  subnets: ['subnet-a', 'subnet-b'],
  securityGroups: ['sg-1'],
  assignPublicIp: true,
  startedBy: 'sparkplane-stack',
};
const launcher = () => new EcsLauncher(new ECSClient({ region: 'eu-west-1' }), options);

beforeEach(() => ecs.reset());

describe('the ECS launcher', () => {
  it('starts Fargate tasks at most 10 per RunTask call, each call idempotent, the token in the environment', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [] });
    await launcher().launch(23, 'tok');
    const calls = ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.count)).toEqual([10, 10, 3]);
    expect(calls.map((c) => c.clientToken)).toEqual(['tok-0', 'tok-1', 'tok-2']);
    expect(calls[0]).toMatchObject({
      cluster: 'sparkplane-workers',
      taskDefinition: options.taskDefinition,
      launchType: 'FARGATE',
      startedBy: 'sparkplane-stack',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-a', 'subnet-b'],
          securityGroups: ['sg-1'],
          assignPublicIp: 'ENABLED',
        },
      },
      overrides: {
        containerOverrides: [
          { name: 'worker', environment: [{ name: 'SPARKPLANE_LAUNCH_TOKEN', value: 'tok' }] },
        ],
      },
    });
  });

  it('lists the running tasks it started, with when they started', async () => {
    ecs
      .on(ListTasksCommand, { cluster: 'sparkplane-workers', startedBy: 'sparkplane-stack' })
      .resolvesOnce({ taskArns: ['t1', 't2'], nextToken: 'more' })
      .resolvesOnce({ taskArns: ['t3'] });
    ecs.on(DescribeTasksCommand).callsFake(({ tasks }: { tasks: string[] }) => ({
      tasks: tasks.map((taskArn, i) => ({ taskArn, createdAt: new Date(1000 * (i + 1)) })),
    }));
    const instances = await launcher().list();
    expect(instances.map((i) => i.instanceId)).toEqual(['t1', 't2', 't3']);
    expect(instances[1]?.startedAtMs).toBe(2000);
    expect(ecs.commandCalls(ListTasksCommand)[0]?.args[0].input.desiredStatus).toBe('RUNNING');
  });

  it('stops a task with the reason', async () => {
    ecs.on(StopTaskCommand).resolves({});
    await launcher().stop('t1', 'sparkplane: idle');
    expect(ecs.commandCalls(StopTaskCommand)[0]?.args[0].input).toEqual({
      cluster: 'sparkplane-workers',
      task: 't1',
      reason: 'sparkplane: idle',
    });
  });
});
