package org.apache.spark.scheduler.sparkplane

import org.apache.spark.scheduler.{ExecutorExited, ExecutorProcessLost}
import org.junit.jupiter.api.Assertions._
import org.junit.jupiter.api.Test

class ExecutorUpdatesTest {
  import ExecutorUpdate._

  private def exec(id: Int, state: String, exit: Option[Int] = None, message: Option[String] = None,
      worker: String = "worker-1") =
    ExecutorView(id, worker, s"10.0.0.$id:7078", 1, 512, state, exit, message)

  @Test def newExecutorsAreAddedOnceAndStateChangesDeliveredOnce(): Unit = {
    val (first, seen) = ExecutorUpdates.diff(Map.empty, Seq(exec(0, "LAUNCHING"), exec(1, "RUNNING")))
    assertEquals(Seq(Added(exec(0, "LAUNCHING")), Added(exec(1, "RUNNING"))), first)
    val (second, seen2) = ExecutorUpdates.diff(seen, Seq(exec(0, "RUNNING"), exec(1, "RUNNING")))
    assertEquals(Nil, second)
    val exited = exec(0, "EXITED", Some(1), Some("Command exited with code 1"))
    val (third, seen3) = ExecutorUpdates.diff(seen2, Seq(exited, exec(1, "RUNNING")))
    assertEquals(Seq(Removed(exited, None)), third)
    assertEquals(Nil, ExecutorUpdates.diff(seen3, Seq(exited, exec(1, "RUNNING")))._1)
  }

  @Test def anExecutorFirstSeenEndedIsAddedThenRemoved(): Unit = {
    val failed = exec(3, "FAILED", None, Some("Failed to launch executor: ENOENT"))
    assertEquals(Seq(Added(failed), Removed(failed, None)), ExecutorUpdates.diff(Map.empty, Seq(failed))._1)
  }

  @Test def aLostWorkerIsTheMastersOwnAndIsRemovedOnce(): Unit = {
    val lost = Seq(exec(0, "LOST", message = Some("worker lost: timed out")),
      exec(2, "LOST", message = Some("worker lost: timed out")))
    val (updates, _) = ExecutorUpdates.diff(Map(0 -> "RUNNING", 2 -> "RUNNING"), lost)
    assertEquals(Seq(Removed(lost(0), Some("10.0.0.0")), Removed(lost(1), Some("10.0.0.2")),
      WorkerRemoved("worker-1", "10.0.0.0", "worker lost: timed out")), updates)
  }

  @Test def decommissionedThenAnythingIsDeliveredOnce(): Unit = {
    val d = exec(0, "DECOMMISSIONED", message = Some("worker decommissioned"))
    val (updates, seen) = ExecutorUpdates.diff(Map(0 -> "RUNNING"), Seq(d))
    assertEquals(Seq(Decommissioned(d, Some("10.0.0.0"))), updates)
    assertEquals(Nil, ExecutorUpdates.diff(seen, Seq(exec(0, "LOST")))._1)
  }

  @Test def lossReasonsAreStandalones(): Unit = {
    assertEquals(ExecutorExited(1, exitCausedByApp = true, "x"),
      ExecutorUpdates.lossReason("x", Some(1), None))
    assertEquals(ExecutorExited(56, exitCausedByApp = false, "hb"),
      ExecutorUpdates.lossReason("hb", Some(56), None))
    assertEquals(ExecutorExited(53, exitCausedByApp = false, "disk"),
      ExecutorUpdates.lossReason("disk", Some(53), None))
    val lost = ExecutorUpdates.lossReason("worker lost", None, Some("10.0.0.1"))
    assertEquals(ExecutorProcessLost("worker lost", Some("10.0.0.1"), causedByApp = false), lost)
    assertEquals(ExecutorProcessLost("gone", None, causedByApp = true),
      ExecutorUpdates.lossReason("gone", None, None))
  }

  @Test def hostOfHostPort(): Unit = {
    assertEquals("10.0.0.1", exec(1, "RUNNING").host)
    assertEquals("::1", exec(1, "RUNNING").copy(hostPort = "[::1]:7078").host)
  }
}
