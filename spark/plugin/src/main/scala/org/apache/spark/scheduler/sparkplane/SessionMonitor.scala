package org.apache.spark.scheduler.sparkplane

import java.util.concurrent.atomic.AtomicBoolean

import scala.util.Try
import scala.util.control.NonFatal

import org.apache.spark.SparkContext
import org.apache.spark.internal.Logging
import org.apache.spark.scheduler.{SparkListener, SparkListenerEvent}

/** What a session's driver reports with each poll (PROTOCOL additions, "Sessions"). */
private[spark] case class SessionReport(port: Option[Int], busy: Boolean)

/**
 * The Spark Connect server of a session's driver, as the control plane needs it: the port it
 * listens on, whether a Connect operation or a Spark job runs, and a way to stop it cleanly
 * (its main then returns and the driver ends FINISHED). The control plane keeps the idle
 * clock and says when to stop. Connect's classes are on the driver's class path (Spark's
 * jars/) but the plugin builds against spark-core alone, so its event and its service object
 * are reached by name.
 */
private[spark] class SessionMonitor(sc: SparkContext) extends SparkListener with Logging {
  import SessionMonitor._

  @volatile private var port: Option[Int] = None
  @volatile private var wasBusy = false
  private val stopping = new AtomicBoolean(false)

  /** Asked of Spark at each poll: its active jobs, and Connect's active executions. */
  def report: SessionReport = {
    val busy = sc.statusTracker.getActiveJobIds().nonEmpty || connectExecutes
    if (busy != wasBusy) logInfo(s"Spark Connect session ${if (busy) "busy" else "idle"}")
    wasBusy = busy
    SessionReport(port, busy)
  }

  /**
   * An operation of SparkConnectService.listActiveExecutions still runs: one that finished
   * stays listed until its client releases it, or for `detachedTimeout` when none does.
   */
  private def connectExecutes: Boolean =
    service.flatMap(s => Try(s.getClass.getMethod("listActiveExecutions").invoke(s)).toOption)
      .exists {
        case Right(infos: Seq[_]) => infos.exists { info =>
          Try(info.getClass.getMethod("status").invoke(info).toString).toOption
            .forall(status => !Done(status))
        }
        case _ => false
      }

  override def onOtherEvent(event: SparkListenerEvent): Unit =
    if (event.getClass.getName == ServiceStarted) {
      port = Try(event.getClass.getMethod("bindingPort").invoke(event).asInstanceOf[Int]).toOption
    }

  /** Stops the Connect server once, off the caller's thread (the server's stop waits). */
  def stopServer(reason: String): Unit = if (stopping.compareAndSet(false, true)) {
    val thread = new Thread(() => {
      logInfo(s"Stopping the Spark Connect server: $reason")
      try {
        service.foreach { s =>
          s.getClass.getMethod("stop", classOf[Option[_]], classOf[Option[_]])
            .invoke(s, None, None)
        }
      } catch {
        case NonFatal(e) => logWarning(s"Could not stop the Spark Connect server: $e")
      }
    }, "sparkplane-session-stop")
    thread.setDaemon(true)
    thread.start()
  }
}

private[spark] object SessionMonitor {
  private val Package = "org.apache.spark.sql.connect.service."
  val ServiceStarted: String = Package + "SparkListenerConnectServiceStarted"
  /** ExecuteStatus values of an operation that no longer runs. */
  private val Done = Set("Finished", "Failed", "Canceled", "Closed")

  /** Connect's service object, on the driver's class path. */
  private def service: Option[AnyRef] =
    Try(Class.forName(Package + "SparkConnectService$").getField("MODULE$").get(null)).toOption
}
