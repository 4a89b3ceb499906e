package org.apache.spark.scheduler.sparkplane

import java.io.IOException
import java.net.URI
import java.net.http.{HttpClient, HttpRequest, HttpResponse}
import java.time.Duration

import scala.util.Try

import com.fasterxml.jackson.databind.JsonNode

/** An answer of the control plane that is not a success. */
private[spark] class SparkplaneApiException(val status: Int, message: String)
  extends IOException(message)

/**
 * The control plane's application routes (PROTOCOL.md §3) over one HTTP client. Every call
 * carries the driver's bearer token when there is one.
 */
private[spark] class SparkplaneApi(base: URI, token: Option[String], timeout: Duration) {
  private val http = HttpClient.newBuilder()
    .connectTimeout(timeout)
    .followRedirects(HttpClient.Redirect.NEVER)
    .build()

  private def call(method: String, path: String, body: Option[JsonNode]): (Int, JsonNode) = {
    val builder = HttpRequest.newBuilder(URI.create(base.toString + path))
      .timeout(timeout)
      .header("accept", "application/json")
    token.foreach(t => builder.header("authorization", s"Bearer $t"))
    body match {
      case Some(json) =>
        builder.header("content-type", "application/json")
        builder.method(method, HttpRequest.BodyPublishers.ofString(Messages.mapper.writeValueAsString(json)))
      case None => builder.method(method, HttpRequest.BodyPublishers.noBody())
    }
    val response = http.send(builder.build(), HttpResponse.BodyHandlers.ofString())
    val parsed = Try(Messages.mapper.readTree(response.body())).toOption.orNull
    (response.statusCode(), parsed)
  }

  private def expectOk(what: String, answer: (Int, JsonNode)): JsonNode = answer match {
    case (200, json) if json != null => json
    case (status, json) =>
      val message = Option(json).flatMap(j => Option(j.get("message"))).map(_.asText())
        .getOrElse("no message")
      throw new SparkplaneApiException(status, s"$what answered $status: $message")
  }

  private def app(appId: String): String = "/v1/applications/" + appId

  /** RegisterApplication: the application id the control plane gave it. */
  def register(registration: ApplicationRegistration): String = {
    val json = expectOk("Registering the application",
      call("POST", "/v1/applications", Some(Messages.registration(registration))))
    Option(json.get("appId")).filter(_.isTextual).map(_.asText()).getOrElse(
      throw new SparkplaneApiException(200, s"Registering the application answered $json"))
  }

  /**
   * The application and its executors, or None when the control plane no longer has it. The
   * poll is the driver's heartbeat too: it renews the application's liveness lease, and a
   * session's driver reports its Connect server with it.
   */
  def application(appId: String, session: Option[SessionReport] = None): Option[ApplicationView] =
    call("POST", app(appId) + "/heartbeat", Some(Messages.heartbeat(session))) match {
      case (404, _) => None
      case answer => Some(Messages.application(expectOk(s"Reading $appId", answer)))
    }

  def requestExecutors(appId: String, profiles: Seq[ProfileRequest]): Unit =
    expectOk(s"Requesting executors for $appId",
      call("POST", app(appId) + "/executors", Some(Messages.executorRequest(profiles))))

  def killExecutors(appId: String, executorIds: Seq[String]): Unit =
    expectOk(s"Killing executors of $appId",
      call("POST", app(appId) + "/executors/kill", Some(Messages.killExecutors(executorIds))))

  /** UnregisterApplication; an application the control plane already ended is fine. */
  def unregister(appId: String): Unit = call("DELETE", app(appId), None) match {
    case (200 | 404, _) =>
    case answer => expectOk(s"Unregistering $appId", answer)
  }
}
