package org.apache.spark.scheduler.sparkplane

import org.apache.spark.executor.ExecutorExitCode
import org.apache.spark.scheduler.{ExecutorExited, ExecutorLossReason, ExecutorProcessLost}

/** One executor as `GET /v1/applications/{appId}` shows it. */
private[spark] case class ExecutorView(
    executorId: Int,
    workerId: String,
    hostPort: String,
    cores: Int,
    memoryMb: Int,
    state: String,
    exitStatus: Option[Int],
    message: Option[String]) {
  def host: String = hostPort.lastIndexOf(':') match {
    case -1 => hostPort
    case i => hostPort.substring(0, i).stripPrefix("[").stripSuffix("]")
  }
}

/** What Spark's master would have pushed to the driver (StandaloneAppClient's messages). */
private[spark] sealed trait ExecutorUpdate
private[spark] object ExecutorUpdate {
  case class Added(e: ExecutorView) extends ExecutorUpdate
  /** ExecutorUpdated in a finished state; `workerHost` is set when the master lost the worker. */
  case class Removed(e: ExecutorView, workerHost: Option[String]) extends ExecutorUpdate
  case class Decommissioned(e: ExecutorView, workerHost: Option[String]) extends ExecutorUpdate
  /** WorkerRemoved: a worker this application had executors on was lost. */
  case class WorkerRemoved(workerId: String, host: String, message: String) extends ExecutorUpdate
}

/**
 * The control plane's executor states turned into the messages Spark's master sends a driver.
 * sparkplane's LOST and DECOMMISSIONED are the master's own (a worker lost or leaving); a worker
 * reports EXITED, KILLED and FAILED. Spark's master sends the worker's host only for the former,
 * which is what keeps a worker loss from being blamed on the application.
 */
private[spark] object ExecutorUpdates {
  private val Finished = Set("KILLED", "FAILED", "LOST", "EXITED")

  /** The updates since `seen` (executor id -> last state delivered), and the new `seen`. */
  def diff(seen: Map[Int, String], now: Seq[ExecutorView]): (Seq[ExecutorUpdate], Map[Int, String]) = {
    val updates = Seq.newBuilder[ExecutorUpdate]
    val lostWorkers = scala.collection.mutable.LinkedHashMap.empty[String, ExecutorView]
    var next = seen
    for (e <- now.sortBy(_.executorId) if !seen.get(e.executorId).contains(e.state)) {
      val before = seen.get(e.executorId)
      if (before.isEmpty) updates += ExecutorUpdate.Added(e)
      val ended = before.exists(s => Finished(s) || s == "DECOMMISSIONED")
      if (!ended) {
        val masterOwn = e.state == "LOST" || e.state == "DECOMMISSIONED"
        val workerHost = if (masterOwn) Some(e.host) else None
        if (Finished(e.state)) updates += ExecutorUpdate.Removed(e, workerHost)
        else if (e.state == "DECOMMISSIONED") updates += ExecutorUpdate.Decommissioned(e, workerHost)
        if (e.state == "LOST") lostWorkers.getOrElseUpdate(e.workerId, e)
      }
      next += e.executorId -> e.state
    }
    for ((workerId, e) <- lostWorkers) {
      updates += ExecutorUpdate.WorkerRemoved(workerId, e.host, e.message.getOrElse("worker lost"))
    }
    (updates.result(), next)
  }

  /** StandaloneSchedulerBackend.executorRemoved's reason, to the letter. */
  def lossReason(message: String, exitStatus: Option[Int], workerHost: Option[String])
      : ExecutorLossReason = exitStatus match {
    case Some(ExecutorExitCode.HEARTBEAT_FAILURE) =>
      ExecutorExited(ExecutorExitCode.HEARTBEAT_FAILURE, exitCausedByApp = false, message)
    case Some(ExecutorExitCode.DISK_STORE_FAILED_TO_CREATE_DIR) =>
      ExecutorExited(ExecutorExitCode.DISK_STORE_FAILED_TO_CREATE_DIR,
        exitCausedByApp = false, message)
    case Some(code) => ExecutorExited(code, exitCausedByApp = true, message)
    case None => ExecutorProcessLost(message, workerHost, causedByApp = workerHost.isEmpty)
  }
}
