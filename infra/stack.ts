import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { EXPIRES_AT } from '../lib/store/layout.js';

/** The sparkplane control plane. It grows one part at a time; today: its state table. */
export class SparkplaneStack extends Stack {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // Every fact the master knows lives here (DESIGN.md): kept when the stack goes away.
    this.table = new TableV2(this, 'State', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: EXPIRES_AT,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
