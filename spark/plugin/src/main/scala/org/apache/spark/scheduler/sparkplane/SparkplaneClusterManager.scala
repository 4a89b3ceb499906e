package org.apache.spark.scheduler.sparkplane

import java.time.Duration

import org.apache.spark.{SparkContext, SparkException}
import org.apache.spark.scheduler.{ExternalClusterManager, SchedulerBackend, TaskScheduler,
  TaskSchedulerImpl}

/** Spark's cluster manager for `sparkplane://` masters (META-INF/services registers it). */
private[spark] class SparkplaneClusterManager extends ExternalClusterManager {
  import SparkplaneSchedulerBackend._

  override def canCreate(masterURL: String): Boolean = MasterUrl.accepts(masterURL)

  override def createTaskScheduler(sc: SparkContext, masterURL: String): TaskScheduler =
    new TaskSchedulerImpl(sc)

  override def createSchedulerBackend(
      sc: SparkContext,
      masterURL: String,
      scheduler: TaskScheduler): SchedulerBackend = {
    val base = MasterUrl.parse(masterURL).fold(e => throw new SparkException(e), identity)
    val token = sc.conf.getOption(Token).orElse(sys.env.get(TokenEnv)).filter(_.nonEmpty)
    val timeout = Duration.ofMillis(sc.conf.getTimeAsMs(RequestTimeout, "10s"))
    new SparkplaneSchedulerBackend(scheduler.asInstanceOf[TaskSchedulerImpl], sc,
      new SparkplaneApi(base, token, timeout), masterURL)
  }

  override def initialize(scheduler: TaskScheduler, backend: SchedulerBackend): Unit =
    scheduler.asInstanceOf[TaskSchedulerImpl].initialize(backend)
}
