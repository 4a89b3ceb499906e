// The synthesized template: every resource, route, permission and setting the stack
// promises, and cdk-nag's AwsSolutions pack with nothing left unacknowledged.
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { METRIC_ALARMS } from '../../../infra/metrics.js';
import { DEFAULT_SETTINGS, omitFromTemplate, SparkplaneStack } from '../../../infra/stack.js';
import { API_ROUTES } from '../../../lib/api/routes.js';
import { masterConfig, propertiesFromJavaOptions } from '../../../lib/core/config.js';
import {
  DRIVER_FAILURE_STATES,
  EVENT_METRICS,
  METRICS_NAMESPACE,
} from '../../../lib/core/metrics.js';
import { synth, WITH_LOAD_BALANCER } from './stacks.js';

describe('the CDK stack', () => {
  const { template } = synth();
  const functions = template.findResources('AWS::Lambda::Function');
  const fnNamed = (prefix: string) => {
    const entry = Object.entries(functions).find(([id]) => id.startsWith(prefix));
    if (!entry) throw new Error(`no function ${prefix}`);
    return entry;
  };

  it('keeps the state in one on-demand table with point-in-time recovery and TTL, retained', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        Replicas: [
          Match.objectLike({
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          }),
        ],
      }),
    });
  });

  it('runs nine functions on the newest Node.js runtime, on arm64', () => {
    expect(Object.keys(functions)).toHaveLength(9);
    for (const prefix of [
      'Submissions',
      'Workers',
      'Commands',
      'Applications',
      'Logs',
      'Cluster',
      'Scheduler',
      'Cleanup',
    ]) {
      const [, f] = fnNamed(prefix);
      expect(f.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
      expect(Object.keys(f.Properties.Environment.Variables)).toEqual(
        expect.arrayContaining([
          'TABLE_NAME',
          'NUDGE_QUEUE_URL',
          'SPARK_MASTER_OPTS',
          'SPARKPLANE_SUBMISSION_KEY_SECRET',
          'SPARKPLANE_WORKER_KEY_SECRET',
          'WORKER_QUEUE_PREFIX',
        ]),
      );
    }
    const [, scheduler] = fnNamed('Scheduler');
    expect(scheduler.Properties.Environment.Variables).toMatchObject({
      POOL_MIN_WORKERS: '0',
      POOL_MAX_WORKERS: '10',
      POOL_IDLE_TIMEOUT_SEC: '600',
      WORKER_CORES: '1',
      WORKER_MEMORY_MB: '3072',
      WORKER_PUBLIC_IP: 'true',
    });
    // The runs' estimated cost: Fargate's price inputs reach the master's configuration.
    const opts = String(scheduler.Properties.Environment.Variables.SPARK_MASTER_OPTS);
    expect(masterConfig(propertiesFromJavaOptions(opts)).usagePrices).toEqual({
      vcpuHourUsd: DEFAULT_SETTINGS.fargateVcpuHourUsd,
      gbHourUsd: DEFAULT_SETTINGS.fargateGbHourUsd,
    });
  });

  it('serves every route of PROTOCOL.md, Spark’s error servlet as the default route', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties.RouteKey,
    );
    expect(routes.sort()).toEqual(API_ROUTES.map((r) => r.routeKey).sort());
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  it('publishes state changes on its own bus: a rule to a queue, an archive, writers allowed', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    const [busId] = Object.keys(template.findResources('AWS::Events::EventBus'));
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [busId, 'Arn'] },
      EventPattern: { source: ['sparkplane'] },
    });
    const rules = Object.values(template.findResources('AWS::Events::Rule')).filter(
      (r) => JSON.stringify(r.Properties.EventBusName) === JSON.stringify({ Ref: busId }),
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties.EventPattern).toEqual({
      source: ['sparkplane'],
      'detail-type': [
        'Spark Driver State Change',
        'Spark Application State Change',
        'Spark Worker State Change',
      ],
    });
    const [target] = rules[0]?.Properties.Targets ?? [];
    const [queueId] = target.Arn['Fn::GetAtt'];
    expect(queueId).toMatch(/^EventsQueue/);
    for (const prefix of [
      'Submissions',
      'Workers',
      'Applications',
      'Cluster',
      'Scheduler',
      'Cleanup',
    ]) {
      const [, f] = fnNamed(prefix);
      expect(f.Properties.Environment.Variables.EVENT_BUS_NAME).toEqual({ Ref: busId });
    }
    for (const prefix of ['Logs', 'Commands']) {
      const [, f] = fnNamed(prefix);
      expect(f.Properties.Environment.Variables.EVENT_BUS_NAME).toBeUndefined();
    }
    // Only those functions may put events, and only on this bus.
    const putters = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]).filter(
        (st) => JSON.stringify(st.Action).includes('events:PutEvents'),
      ),
    );
    expect(putters).toHaveLength(7);
    for (const st of putters) expect(st.Resource).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
  });

  it('feeds the scheduler from a FIFO queue and cleanup from the watch queue, with dead-letter queues, SSL only, partial batch failures', () => {
    // The nudges and the watch with their dead letters; the state-change events' queue and its.
    template.resourceCountIs('AWS::SQS::Queue', 6);
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 20 }),
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: Match.absent(),
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));
    expect(policies).toHaveLength(6);
    for (const p of policies) {
      expect(JSON.stringify(p.Properties.PolicyDocument)).toContain('aws:SecureTransport');
    }
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('runs cleanup every minute, on the watch queue, and when a worker task stops', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnNamed('Cleanup')[0], 'Arn'] } })],
    });
    const watch = Object.entries(template.findResources('AWS::SQS::Queue')).find(
      ([id]) => id.startsWith('Watch') && !id.startsWith('WatchDeadLetters'),
    )?.[0];
    expect(watch).toBeDefined();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [watch, 'Arn'] },
      FunctionName: { Ref: fnNamed('Cleanup')[0] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: Match.objectLike({ lastStatus: ['STOPPED'] }),
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [watch, 'Arn'] } })],
    });
  });

  it('defines the worker: an arm64 Fargate task from the Dockerfile, its key from Secrets Manager', () => {
    template.resourceCountIs('AWS::ECS::Cluster', 1);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      Cpu: '1024',
      Memory: '4096',
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'worker',
          Secrets: [Match.objectLike({ Name: 'SPARKPLANE_WORKER_KEY' })],
          Environment: Match.arrayWith([
            { Name: 'SPARK_WORKER_CORES', Value: '1' },
            Match.objectLike({ Name: 'SPARKPLANE_MASTER_URL' }),
          ]),
        }),
      ],
    });
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
  });

  it('needs no NAT gateway: workers in public subnets, nothing outside the VPC reaches them', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
    const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup'));
    // Only Spark Connect sessions' ports, and only from the VPC's own range.
    const ingress = groups.flatMap((g) => g.Properties.SecurityGroupIngress ?? []);
    expect(ingress).toEqual([
      {
        CidrIp: '10.0.0.0/16',
        Description: 'Spark Connect clients inside the VPC',
        FromPort: 15002,
        IpProtocol: 'tcp',
        ToPort: 15101,
      },
    ]);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 0,
      ToPort: 65535,
    });
  });

  it('throttles the HTTP API and reserves concurrency for the scheduler and cleanup', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
    });
    for (const name of ['Scheduler', 'Cleanup']) {
      expect(fnNamed(name)[1].Properties.ReservedConcurrentExecutions).toBe(2);
    }
    expect(fnNamed('Submissions')[1].Properties.ReservedConcurrentExecutions).toBeUndefined();
    const none = synth({ ...DEFAULT_SETTINGS, reservedConcurrency: 0 }).template;
    for (const f of Object.values(none.findResources('AWS::Lambda::Function'))) {
      expect(f.Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  it('grants each function only what it uses', () => {
    const statementsOf = (prefix: string) => {
      const role = fnNamed(prefix)[1].Properties.Role['Fn::GetAtt'][0];
      const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
        p.Properties.Roles.some((r: { Ref: string }) => r.Ref === role),
      );
      return policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
    };
    const actions = (prefix: string) =>
      statementsOf(prefix).flatMap((s: { Action: string | string[] }) => [s.Action].flat());
    // The cluster function sends only to worker queues (the UI's decommission), never nudges.
    const clusterSends = statementsOf('Cluster').filter((s: { Action: string | string[] }) =>
      [s.Action].flat().includes('sqs:SendMessage'),
    );
    expect(clusterSends).toHaveLength(1);
    expect(JSON.stringify(clusterSends[0].Resource)).toContain('-worker-*');
    expect(actions('Cluster')).not.toContain('sqs:CreateQueue');
    expect(actions('Workers')).toContain('sqs:CreateQueue');
    expect(actions('Submissions')).not.toContain('sqs:CreateQueue');
    expect(actions('Submissions')).not.toContain('ecs:RunTask');
    expect(actions('Cleanup')).toEqual(expect.arrayContaining(['ecs:StopTask', 'sqs:DeleteQueue']));
    const runTask = statementsOf('Scheduler').find(
      (s: { Action: unknown }) => s.Action === 'ecs:RunTask',
    );
    expect(runTask.Condition).toEqual({ ArnEquals: { 'ecs:cluster': expect.anything() } });
    expect(actions('Scheduler')).toContain('iam:PassRole');
    // Workers' long polls: their queues only, nothing of the table; little memory.
    expect(actions('Commands')).toEqual(
      expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']),
    );
    expect(actions('Commands').some((a: string) => a.startsWith('dynamodb:'))).toBe(false);
    // Logs: workers' function writes them, the logs function reads them and the table only.
    const s3 = (prefix: string) => actions(prefix).filter((a: string) => a.startsWith('s3:'));
    expect(s3('Workers').sort()).toEqual(['s3:DeleteObject', 's3:PutObject']);
    expect(s3('Logs').sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(
      actions('Logs').filter((a: string) =>
        /dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)/.test(a),
      ),
    ).toEqual([]);
    for (const prefix of [
      'Submissions',
      'Applications',
      'Sessions',
      'Cluster',
      'Scheduler',
      'Cleanup',
    ]) {
      expect(s3(prefix)).toEqual([]);
    }
    expect(actions('Commands')).not.toContain('sqs:SendMessage');
    expect(fnNamed('Commands')[1].Properties.MemorySize).toBe(128);
    // The worker task's role may do nothing: jobs on a worker find no AWS credential to use.
    const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    const taskRole = taskDefinition?.Properties.TaskRoleArn['Fn::GetAtt'][0];
    const taskPolicies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      p.Properties.Roles.some((r: { Ref: string }) => r.Ref === taskRole),
    );
    expect(taskPolicies).toEqual([]);
    expect(template.findResources('AWS::IAM::Role')[taskRole]?.Properties.ManagedPolicyArns).toBe(
      undefined,
    );
  });

  it('alarms on dead-lettered nudges, on every function’s errors and on three of their metrics', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 13);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
    });
  });

  it('has every function write its metrics as EMF, the stack’s name as their service', () => {
    for (const f of Object.values(functions)) {
      expect(f.Properties.Environment.Variables).toMatchObject({
        SPARKPLANE_METRICS: 'emf',
        SPARKPLANE_METRICS_SERVICE: { Ref: 'AWS::StackName' },
      });
    }
  });

  const service = [{ Name: 'service', Value: { Ref: 'AWS::StackName' } }];
  const stat = (name: string, stat: string, dimensions: unknown[] = service) => ({
    MetricStat: {
      Metric: { Namespace: METRICS_NAMESPACE, MetricName: name, Dimensions: dimensions },
      Stat: stat,
      Period: 300,
    },
  });

  it('alarms on driver failures (FAILED + ERROR), sustained conflicts and a slow driver start', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: METRIC_ALARMS.driverFailures,
      EvaluationPeriods: 1,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'failed + error' }),
        ...DRIVER_FAILURE_STATES.map((s) =>
          Match.objectLike({
            Id: s.toLowerCase(),
            ...stat(EVENT_METRICS.driverFailures.cloudWatchName, 'Sum', [
              ...service,
              { Name: 'state', Value: s },
            ]),
          }),
        ),
      ]),
    });
    // A plain metric, not a metric-math query, where one metric is all an alarm reads.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: METRIC_ALARMS.conflicts,
      EvaluationPeriods: 3,
      Namespace: METRICS_NAMESPACE,
      MetricName: EVENT_METRICS.passConflicts.cloudWatchName,
      Dimensions: service,
      Statistic: 'Sum',
      Period: 300,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: METRIC_ALARMS.driverStartP99Sec,
      EvaluationPeriods: 3,
      Namespace: METRICS_NAMESPACE,
      MetricName: EVENT_METRICS.driverStart.cloudWatchName,
      Dimensions: service,
      ExtendedStatistic: 'p99',
      Period: 300,
    });
  });

  it('draws the functions’ metrics on a dashboard, beside the functions’ and queues’ health', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    // The body is a Fn::Join of JSON around the stack's name.
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const m of Object.values(EVENT_METRICS)) expect(body).toContain(m.cloudWatchName);
    for (const shown of [
      'p99',
      'SEARCH(',
      'Errors',
      'Throttles',
      'ApproximateNumberOfMessagesVisible',
      'ApproximateAgeOfOldestMessage',
    ]) {
      expect(body).toContain(shown);
    }
  });

  it('keeps logs in a private, encrypted bucket that expires them', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true }),
      BucketEncryption: Match.anyValue(),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30, Status: 'Enabled' })]),
      },
    });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'listing',
          KeySchema: [
            { AttributeName: 'listing', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      ],
    });
  });

  it("outputs the API URL and the keys' secrets by ARN; no load balancer unless asked", () => {
    template.hasOutput('ApiUrl', Match.anyValue());
    const secretRef = (prefix: string) => ({
      Value: { Ref: Match.stringLikeRegexp(`^${prefix}[0-9A-F]{8}$`) },
    });
    template.hasOutput('SubmissionKeySecret', secretRef('SubmissionKey'));
    template.hasOutput('WorkerKeySecret', secretRef('WorkerKey'));
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
  });
});

describe('the worker image and what an emulator leaves out', () => {
  const imageOf = (t: Template) =>
    Object.values(t.findResources('AWS::ECS::TaskDefinition'))[0]?.Properties
      .ContainerDefinitions[0].Image;

  it('takes a prebuilt image from ECR, pulled with read access to that repository only', () => {
    const uri = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/sparkplane:1.2';
    const { template } = synth({ ...DEFAULT_SETTINGS, workerImage: uri });
    expect(imageOf(template)).toEqual({
      'Fn::Join': [
        '',
        ['123456789012.dkr.ecr.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/sparkplane:1.2'],
      ],
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    const pull = statements.find((s) => [s.Action].flat().includes('ecr:BatchGetImage'));
    expect(JSON.stringify(pull?.Resource)).toContain(
      ':ecr:eu-west-1:123456789012:repository/sparkplane',
    );
  });

  it('takes any other registry as it is; without one, the Dockerfile is the image', () => {
    const { template } = synth({ ...DEFAULT_SETTINGS, workerImage: 'ghcr.io/acme/worker:7' });
    expect(imageOf(template)).toBe('ghcr.io/acme/worker:7');
    expect(JSON.stringify(imageOf(synth().template))).toContain('cdk-hnb659fds-container-assets');
  });

  it('leaves out resource types and construct paths only when told (testOnlyOmit)', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new SparkplaneStack(app, 'Sparkplane', { settings: DEFAULT_SETTINGS });
    omitFromTemplate(stack, ['AWS::EC2::FlowLog', 'DriverFailures']);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::FlowLog', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 12);
    template.resourceCountIs('AWS::Events::Archive', 1);
  });
});

describe('with a load balancer and an existing VPC', () => {
  const { template } = synth(WITH_LOAD_BALANCER);

  it('fronts the submissions function with an internal load balancer on 6066, and outputs spark://', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internal',
      Type: 'application',
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 6066,
      Protocol: 'HTTP',
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'lambda',
    });
    template.hasOutput('MasterUrl', {
      Value: { 'Fn::Join': ['', ['spark://', Match.anyValue(), ':6066']] },
    });
  });

  it('keeps JWS on the load balancer unless network trust is asked for', () => {
    const lbAuth = (t: Template) =>
      Object.entries(t.findResources('AWS::Lambda::Function')).find(([id]) =>
        id.startsWith('Submissions'),
      )?.[1].Properties.Environment.Variables.SPARKPLANE_LOAD_BALANCER_AUTH;
    expect(lbAuth(template)).toBe('jws');
    expect(lbAuth(synth({ ...WITH_LOAD_BALANCER, loadBalancerAuth: 'network' }).template)).toBe(
      'network',
    );
  });

  it('uses the given VPC and subnets, workers without public IPs, and the pool settings', () => {
    template.resourceCountIs('AWS::EC2::VPC', 0);
    const scheduler = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('Scheduler'),
    )?.[1];
    expect(scheduler?.Properties.Environment.Variables).toMatchObject({
      WORKER_SUBNETS: 'subnet-0123456789abcdef0,subnet-0123456789abcdef1',
      WORKER_PUBLIC_IP: 'false',
      POOL_MIN_WORKERS: '1',
      POOL_MAX_WORKERS: '20',
    });
  });
});

describe('cdk-nag AwsSolutions', () => {
  for (const [name, settings] of [
    ['defaults', DEFAULT_SETTINGS],
    ['load balancer and existing VPC', WITH_LOAD_BALANCER],
  ] as const) {
    it(`${name}: no finding left unacknowledged (each acknowledgement says why in the stack)`, () => {
      const { app } = synth(settings, true);
      expect(() => app.synth()).not.toThrow();
    });
  }
});
