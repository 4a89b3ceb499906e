package org.apache.spark.scheduler.sparkplane

import scala.jdk.CollectionConverters._

import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}
import com.fasterxml.jackson.databind.node.ObjectNode

/** Spark's deploy.Command: what the worker runs on its JVM for each executor. */
private[spark] case class ExecutorCommand(
    mainClass: String,
    arguments: Seq[String],
    environment: Map[String, String],
    classPathEntries: Seq[String],
    libraryPathEntries: Seq[String],
    javaOpts: Seq[String])

/** What one executor of a resource profile asks for; unset values are the application's. */
private[spark] case class ProfileRequest(
    resourceProfileId: Int,
    total: Int,
    cores: Option[Int],
    memoryMb: Option[Long],
    resources: Map[String, Long])

/** Spark's ApplicationDescription, as `POST /v1/applications` takes it. */
private[spark] case class ApplicationRegistration(
    name: String,
    user: String,
    driverId: Option[String],
    maxCores: Option[Int],
    initialExecutorLimit: Option[Int],
    coresPerExecutor: Option[Int],
    memoryPerExecutorMb: Int,
    resourcesPerExecutor: Map[String, Long],
    command: ExecutorCommand)

/** `stopSession`: the control plane asks a session's driver to stop its server, and why. */
private[spark] case class ApplicationView(
    id: String,
    state: String,
    executors: Seq[ExecutorView],
    stopSession: Option[String] = None)

/** The JSON of the application routes (PROTOCOL.md §3). */
private[spark] object Messages {
  val mapper = new ObjectMapper()

  private def strings(node: ObjectNode, field: String, values: Seq[String]): Unit = {
    val array = node.putArray(field)
    values.foreach(v => array.add(v))
  }

  private def amounts(node: ObjectNode, field: String, values: Map[String, Long]): Unit = {
    val obj = node.putObject(field)
    values.toSeq.sortBy(_._1).foreach { case (k, v) => obj.put(k, v) }
  }

  def registration(r: ApplicationRegistration): ObjectNode = {
    val node = mapper.createObjectNode()
    node.put("name", r.name)
    node.put("user", r.user)
    r.driverId.foreach(node.put("driverId", _))
    r.maxCores.foreach(node.put("maxCores", _))
    r.initialExecutorLimit.foreach(node.put("initialExecutorLimit", _))
    val executor = node.putObject("executor")
    r.coresPerExecutor.foreach(executor.put("cores", _))
    executor.put("memoryMb", r.memoryPerExecutorMb)
    amounts(executor, "resources", r.resourcesPerExecutor)
    val command = node.putObject("command")
    val java = command.putObject("java")
    java.put("mainClass", r.command.mainClass)
    strings(java, "arguments", r.command.arguments)
    strings(java, "javaOpts", r.command.javaOpts)
    strings(java, "classPathEntries", r.command.classPathEntries)
    strings(java, "libraryPathEntries", r.command.libraryPathEntries)
    val env = command.putObject("env")
    r.command.environment.toSeq.sortBy(_._1).foreach { case (k, v) => env.put(k, v) }
    node
  }

  def executorRequest(profiles: Seq[ProfileRequest]): ObjectNode = {
    val node = mapper.createObjectNode()
    val array = node.putArray("profiles")
    profiles.sortBy(_.resourceProfileId).foreach { p =>
      val o = array.addObject()
      o.put("resourceProfileId", p.resourceProfileId)
      o.put("total", p.total)
      val executor = o.putObject("executor")
      p.cores.foreach(executor.put("cores", _))
      p.memoryMb.foreach(executor.put("memoryMb", _))
      amounts(executor, "resources", p.resources)
    }
    node
  }

  def heartbeat(session: Option[SessionReport]): ObjectNode = {
    val node = mapper.createObjectNode()
    session.foreach { s =>
      val o = node.putObject("session")
      s.port.foreach(o.put("port", _))
      o.put("busy", s.busy)
    }
    node
  }

  def killExecutors(executorIds: Seq[String]): ObjectNode = {
    val node = mapper.createObjectNode()
    strings(node, "executorIds", executorIds)
    node
  }

  private def text(node: JsonNode, field: String): String = {
    val v = node.get(field)
    if (v == null || !v.isTextual) throw new IllegalArgumentException(s"$field is not a string")
    v.asText()
  }

  private def int(node: JsonNode, field: String): Int = {
    val v = node.get(field)
    if (v == null || !v.canConvertToInt) throw new IllegalArgumentException(s"$field is not an int")
    v.asInt()
  }

  private def optional[T](node: JsonNode, field: String)(read: JsonNode => T): Option[T] =
    Option(node.get(field)).filterNot(_.isNull).map(read)

  def application(node: JsonNode): ApplicationView = {
    val executors = Option(node.get("executors")).map(_.elements().asScala.toSeq).getOrElse(Nil)
    ApplicationView(
      text(node, "id"),
      text(node, "state"),
      executors.map { e =>
        ExecutorView(
          int(e, "executorId"),
          text(e, "workerId"),
          text(e, "hostPort"),
          int(e, "cores"),
          int(e, "memoryMb"),
          text(e, "state"),
          optional(e, "exitStatus")(_.asInt()),
          optional(e, "message")(_.asText()))
      },
      optional(node, "session")(identity)
        .filter(s => s.path("stop").asBoolean(false))
        .map(s => s.path("reason").asText("stop")))
  }
}
