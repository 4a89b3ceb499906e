package org.apache.spark.scheduler.sparkplane

import java.net.ConnectException
import java.util.Locale
import java.util.concurrent.{RejectedExecutionException, TimeUnit}
import java.util.concurrent.atomic.AtomicBoolean

import scala.annotation.tailrec
import scala.concurrent.{ExecutionContext, Future}
import scala.util.control.NonFatal

import org.apache.spark.{SparkConf, SparkContext, SparkException}
import org.apache.spark.internal.config
import org.apache.spark.resource.ResourceProfile
import org.apache.spark.rpc.{RpcAddress, RpcEndpointAddress}
import org.apache.spark.scheduler.{ExecutorDecommissionInfo, ExecutorProcessLost, TaskSchedulerImpl}
import org.apache.spark.scheduler.cluster.CoarseGrainedClusterMessages.RemoveExecutor
import org.apache.spark.scheduler.cluster.CoarseGrainedSchedulerBackend
import org.apache.spark.util.{ThreadUtils, Utils}

/**
 * Spark's StandaloneSchedulerBackend with sparkplane's application routes in place of the
 * master's RPC: it registers the application with the executor command Spark's standalone
 * backend would send, forwards executor targets and kills, and turns the executor states it
 * polls from the control plane into the messages Spark's master pushes. It decides nothing:
 * placement, retries and the application's end are the control plane's.
 */
private[spark] class SparkplaneSchedulerBackend(
    scheduler: TaskSchedulerImpl,
    sc: SparkContext,
    api: SparkplaneApi,
    master: String)
  extends CoarseGrainedSchedulerBackend(scheduler, sc.env.rpcEnv) {

  import SparkplaneSchedulerBackend._

  private val stopping = new AtomicBoolean(false)
  private val ended = new AtomicBoolean(false)
  @volatile private var appId: String = _

  private val maxCores = conf.get(config.CORES_MAX)
  private val totalExpectedCores = maxCores.getOrElse(0)
  private val defaultProf = sc.resourceProfileManager.defaultResourceProfile
  private val pollIntervalMs = conf.getTimeAsMs(PollInterval, "1s")
  private val registrationTimeoutMs = conf.getTimeAsMs(RegistrationTimeout, "60s")

  /** The one thread that reads the control plane, so executor updates arrive in order. */
  private val poller = ThreadUtils.newDaemonSingleThreadScheduledExecutor("sparkplane-poller")
  private val calls = ExecutionContext.fromExecutorService(
    ThreadUtils.newDaemonSingleThreadExecutor("sparkplane-requests"))
  private val executorDelayRemoveThread =
    ThreadUtils.newDaemonSingleThreadScheduledExecutor("driver-executor-delay-remove-thread")
  private val executorRemoveDelayMs = conf.get(config.EXECUTOR_REMOVE_DELAY)
  /** A session's driver runs Spark's Connect server: it is reported and stopped when told. */
  private val session =
    if (conf.getBoolean(SessionFlag, false)) Some(new SessionMonitor(sc)) else None
  /** Executor id -> the last state delivered to Spark; the poller thread's alone. */
  private var seen = Map.empty[Int, String]

  override def start(): Unit = {
    super.start()
    session.foreach(sc.addSparkListener)
    val driverUrl = RpcEndpointAddress(
      sc.conf.get(config.DRIVER_HOST_ADDRESS),
      sc.conf.get(config.DRIVER_PORT),
      CoarseGrainedSchedulerBackend.ENDPOINT_NAME).toString
    // Standalone's arguments but --worker-url: an executor's WorkerWatcher would exit when no
    // Spark RPC endpoint answers there, and a sparkplane worker has none.
    val args = Seq(
      "--driver-url", driverUrl,
      "--executor-id", "{{EXECUTOR_ID}}",
      "--hostname", "{{HOSTNAME}}",
      "--cores", "{{CORES}}",
      "--app-id", "{{APP_ID}}",
      "--resourceProfileId", "{{RESOURCE_PROFILE_ID}}")
    val extraJavaOpts = sc.conf.get(config.EXECUTOR_JAVA_OPTIONS)
      .map(Utils.splitCommandString).getOrElse(Seq.empty)
    val classPathEntries = sc.conf.get(config.EXECUTOR_CLASS_PATH)
      .map(_.split(java.io.File.pathSeparator).toSeq).getOrElse(Nil)
    val libraryPathEntries = sc.conf.get(config.EXECUTOR_LIBRARY_PATH)
      .map(_.split(java.io.File.pathSeparator).toSeq).getOrElse(Nil)
    val javaOpts = Utils.sparkJavaOpts(conf, SparkConf.isExecutorStartupConf) ++ extraJavaOpts
    val command = ExecutorCommand("org.apache.spark.executor.CoarseGrainedExecutorBackend",
      args, sc.executorEnvs.toMap, classPathEntries, libraryPathEntries, javaOpts)
    val coresPerExecutor = conf.getOption(config.EXECUTOR_CORES.key).map(_.toInt)
    // As Standalone: with dynamic allocation the allocation manager sends the real target.
    val initialExecutorLimit = if (Utils.isDynamicAllocationEnabled(conf)) Some(0) else None
    val registration = ApplicationRegistration(
      name = sc.appName,
      user = sc.sparkUser,
      driverId = sys.env.get(DriverIdEnv).filter(_.nonEmpty),
      maxCores = maxCores,
      initialExecutorLimit = initialExecutorLimit,
      coresPerExecutor = coresPerExecutor,
      memoryPerExecutorMb = sc.executorMemory,
      resourcesPerExecutor = customResources(defaultProf),
      command = command)
    appId = register(registration,
      System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(registrationTimeoutMs), 500)
    logInfo(s"Connected to sparkplane at $master with app ID $appId")
    poller.scheduleWithFixedDelay(() => poll(), pollIntervalMs, pollIntervalMs,
      TimeUnit.MILLISECONDS)
  }

  /** RegisterApplication, again while nothing reached the control plane (it may be starting). */
  @tailrec
  private def register(registration: ApplicationRegistration, deadline: Long, delayMs: Long)
      : String = {
    val answer =
      try Right(api.register(registration))
      catch {
        case e @ (_: ConnectException | Unavailable(_)) if System.nanoTime() < deadline => Left(e)
        case NonFatal(e) =>
          throw new SparkException(s"Could not register with sparkplane at $master: " +
            e.getMessage, e)
      }
    answer match {
      case Right(id) => id
      case Left(e) =>
        logWarning(s"sparkplane at $master is not reachable (${e.getMessage}); retrying")
        Thread.sleep(delayMs)
        register(registration, deadline, math.min(delayMs * 2, 5000))
    }
  }

  private def poll(): Unit = Utils.tryLogNonFatalError {
    if (!stopping.get && !ended.get) {
      api.application(appId, session.map(_.report)) match {
        case None => dead(s"Master removed our application: $appId is no longer known")
        case Some(view) =>
          val (updates, next) = ExecutorUpdates.diff(seen, view.executors)
          seen = next
          updates.foreach(deliver)
          for (monitor <- session; reason <- view.stopSession) monitor.stopServer(reason)
          if (EndedStates(view.state)) dead(s"Master removed our application: ${view.state}")
      }
    }
  }

  private def deliver(update: ExecutorUpdate): Unit = update match {
    case ExecutorUpdate.Added(e) =>
      logInfo("Granted executor ID %s/%d on hostPort %s with %d core(s), %s RAM".format(
        appId, e.executorId, e.hostPort, e.cores, Utils.megabytesToString(e.memoryMb)))
    case ExecutorUpdate.Removed(e, workerHost) =>
      val message = e.message.getOrElse("")
      logInfo(s"Executor $appId/${e.executorId} removed: $message")
      removeExecutor(e.executorId.toString,
        ExecutorUpdates.lossReason(message, e.exitStatus, workerHost))
    case ExecutorUpdate.Decommissioned(e, workerHost) =>
      logInfo(s"Asked to decommission executor $appId/${e.executorId}")
      decommissionExecutors(
        Array((e.executorId.toString,
          ExecutorDecommissionInfo(e.message.getOrElse(""), workerHost))),
        adjustTargetNumExecutors = false,
        triggeredByExecutor = false)
    case ExecutorUpdate.WorkerRemoved(workerId, host, message) =>
      logInfo(s"Worker $workerId removed: $message")
      removeWorker(workerId, host, message)
  }

  /** The control plane ended the application (a kill, maxExecutorRetries): Spark's `dead`. */
  private def dead(reason: String): Unit = {
    if (!stopping.get && ended.compareAndSet(false, true)) {
      logError(s"Application has been killed. Reason: $reason")
      try {
        scheduler.error(reason)
      } finally {
        // Ensure the application terminates, as we can no longer run jobs.
        sc.stopInNewThread()
      }
    }
  }

  override def stop(): Unit = {
    if (stopping.compareAndSet(false, true)) {
      try {
        poller.shutdownNow()
        executorDelayRemoveThread.shutdownNow()
        super.stop()
      } finally {
        Option(appId).foreach { id =>
          try api.unregister(id)
          catch { case NonFatal(e) => logWarning(s"Could not unregister $id: ${e.getMessage}") }
        }
        calls.shutdown()
      }
    }
  }

  override def sufficientResourcesRegistered(): Boolean =
    totalCoreCount.get() >= totalExpectedCores * minRegisteredRatio

  override def applicationId(): String = Option(appId).getOrElse(super.applicationId())

  protected override def doRequestTotalExecutors(
      resourceProfileToTotalExecs: Map[ResourceProfile, Int]): Future[Boolean] = {
    val profiles = resourceProfileToTotalExecs.toSeq.map { case (rp, total) =>
      ProfileRequest(rp.id, total, rp.getExecutorCores, rp.getExecutorMemory, customResources(rp))
    }
    request(s"request ${profiles.map(p => s"${p.total} (profile ${p.resourceProfileId})")
      .mkString(", ")} executors")(api.requestExecutors(_, profiles))
  }

  /** The control plane takes at most KillBatch ids per request. */
  protected override def doKillExecutors(executorIds: Seq[String]): Future[Boolean] =
    request(s"kill executors ${executorIds.mkString(", ")}") { id =>
      executorIds.grouped(KillBatch).foreach(api.killExecutors(id, _))
    }

  private def request(what: String)(call: String => Unit): Future[Boolean] =
    Option(appId) match {
      case None =>
        logWarning(s"Attempted to $what before the driver fully initialized.")
        Future.successful(false)
      case Some(id) =>
        Future {
          call(id)
          true
        }(calls).recover { case NonFatal(e) =>
          logWarning(s"Could not $what: ${e.getMessage}")
          false
        }(calls)
    }

  override def getDriverLogUrls: Option[Map[String, String]] = {
    val prefix = "SPARK_DRIVER_LOG_URL_"
    val driverLogUrls = sys.env.filter { case (k, _) => k.startsWith(prefix) }
      .map(e => (e._1.substring(prefix.length).toLowerCase(Locale.ROOT), e._2))
    if (driverLogUrls.nonEmpty) Some(driverLogUrls) else None
  }

  override def createDriverEndpoint(): DriverEndpoint = new SparkplaneDriverEndpoint()

  /**
   * Standalone's endpoint: an executor whose connection closes is removed only after
   * spark.standalone.executorRemoveDelayOnDisconnection, so the control plane's reason (a
   * worker lost is not the application's fault) arrives first when it can.
   */
  private class SparkplaneDriverEndpoint extends DriverEndpoint {
    override def onDisconnected(remoteAddress: RpcAddress): Unit = {
      addressToExecutorId.get(remoteAddress).foreach { executorId =>
        executorsPendingLossReason += executorId
        val lossReason = ExecutorProcessLost("Remote RPC client disassociated. Likely due to " +
          "containers exceeding thresholds, or network issues. Check driver logs for WARN " +
          "messages.")
        val removeExecutorTask = new Runnable() {
          override def run(): Unit = Utils.tryLogNonFatalError {
            if (executorsPendingLossReason.contains(executorId)) {
              driverEndpoint.send(RemoveExecutor(executorId, lossReason))
            }
          }
        }
        try {
          executorDelayRemoveThread.schedule(removeExecutorTask, executorRemoveDelayMs,
            TimeUnit.MILLISECONDS)
        } catch {
          case _: RejectedExecutionException if stopping.get() =>
            logWarning("Skipping onDisconnected RemoveExecutor: the scheduler is stopping")
        }
      }
    }
  }
}

private[spark] object SparkplaneSchedulerBackend {
  /** The driver's bearer token (else $SPARKPLANE_TOKEN, which a sparkplane worker sets). */
  val Token = "spark.sparkplane.token"
  val PollInterval = "spark.sparkplane.pollInterval"
  val RegistrationTimeout = "spark.sparkplane.registrationTimeout"
  val RequestTimeout = "spark.sparkplane.requestTimeout"
  val TokenEnv = "SPARKPLANE_TOKEN"
  val DriverIdEnv = "SPARKPLANE_DRIVER_ID"
  /** Set on a session's driver (lib/core/session.ts). */
  val SessionFlag = "spark.sparkplane.session"
  val KillBatch = 1000

  private val EndedStates = Set("FINISHED", "FAILED", "KILLED")

  private object Unavailable {
    def unapply(e: Throwable): Option[Int] = e match {
      case a: SparkplaneApiException if a.status == 503 || a.status == 429 => Some(a.status)
      case _ => None
    }
  }

  def customResources(rp: ResourceProfile): Map[String, Long] =
    rp.getCustomExecutorResources().map { case (name, request) => name -> request.amount }
}
