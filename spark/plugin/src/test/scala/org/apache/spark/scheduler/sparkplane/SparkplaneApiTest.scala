package org.apache.spark.scheduler.sparkplane

import java.net.{InetSocketAddress, URI}
import java.nio.charset.StandardCharsets.UTF_8
import java.time.Duration
import java.util.concurrent.ConcurrentLinkedQueue

import scala.jdk.CollectionConverters._

import com.sun.net.httpserver.HttpServer
import org.junit.jupiter.api.{AfterEach, BeforeEach, Test}
import org.junit.jupiter.api.Assertions._

/** The HTTP client against a JDK server standing in for the control plane's routes. */
class SparkplaneApiTest {
  private var server: HttpServer = _
  private val requests = new ConcurrentLinkedQueue[(String, String, String, String)]()
  @volatile private var answers: Map[(String, String), (Int, String)] = Map.empty

  @BeforeEach def start(): Unit = {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0)
    server.createContext("/", exchange => {
      val body = new String(exchange.getRequestBody.readAllBytes(), UTF_8)
      val auth = Option(exchange.getRequestHeaders.getFirst("authorization")).getOrElse("")
      val method = exchange.getRequestMethod
      val path = exchange.getRequestURI.getPath
      requests.add((method, path, auth, body))
      val (status, answer) = answers.getOrElse((method, path),
        (404, """{"error":"unknown_application","message":"no such application"}"""))
      val bytes = answer.getBytes(UTF_8)
      exchange.sendResponseHeaders(status, bytes.length.toLong)
      exchange.getResponseBody.write(bytes)
      exchange.close()
    })
    server.start()
  }

  @AfterEach def stop(): Unit = server.stop(0)

  private def api(token: Option[String] = Some("t0k3n")) = new SparkplaneApi(
    new URI(s"http://127.0.0.1:${server.getAddress.getPort}"), token, Duration.ofSeconds(5))

  private val registration = ApplicationRegistration("Spark Pi", "spark", Some("driver-1"),
    Some(4), None, Some(1), 512, Map("gpu" -> 1L),
    ExecutorCommand("org.apache.spark.executor.CoarseGrainedExecutorBackend",
      Seq("--driver-url", "spark://CoarseGrainedScheduler@10.0.0.1:4040"), Map("SPARK_USER" -> "spark"),
      Nil, Nil, Seq("-Dspark.driver.port=4040")))

  @Test def registersWithTheTokenAndSparksCommand(): Unit = {
    answers = Map(("POST", "/v1/applications") -> (200, """{"appId":"app-1"}"""))
    assertEquals("app-1", api().register(registration))
    val (_, _, auth, body) = requests.peek()
    assertEquals("Bearer t0k3n", auth)
    val json = Messages.mapper.readTree(body)
    assertEquals("driver-1", json.get("driverId").asText())
    assertEquals(4, json.get("maxCores").asInt())
    assertFalse(json.has("initialExecutorLimit"))
    assertEquals("""{"cores":1,"memoryMb":512,"resources":{"gpu":1}}""", json.get("executor").toString)
    val java = json.get("command").get("java")
    assertEquals("org.apache.spark.executor.CoarseGrainedExecutorBackend", java.get("mainClass").asText())
    assertEquals(Seq("--driver-url", "spark://CoarseGrainedScheduler@10.0.0.1:4040"),
      java.get("arguments").elements().asScala.map(_.asText()).toSeq)
    assertEquals("spark", json.get("command").get("env").get("SPARK_USER").asText())
  }

  @Test def noTokenNoHeader(): Unit = {
    answers = Map(("POST", "/v1/applications") -> (200, """{"appId":"app-1"}"""))
    api(None).register(registration)
    assertEquals("", requests.peek()._3)
  }

  @Test def refusalsCarryTheControlPlanesMessage(): Unit = {
    answers = Map(("POST", "/v1/applications") ->
      (400, """{"error":"bad_request","message":"executor.memoryMb: too big"}"""))
    val e = assertThrows(classOf[SparkplaneApiException], () => api().register(registration))
    assertEquals(400, e.status)
    assertEquals("Registering the application answered 400: executor.memoryMb: too big", e.getMessage)
  }

  @Test def readsTheApplicationAndItsExecutors(): Unit = {
    answers = Map(("POST", "/v1/applications/app-1/heartbeat") -> (200,
      """{"id":"app-1","state":"RUNNING","executors":[{"executorId":0,"workerId":"w1",
        |"hostPort":"10.0.0.1:7078","cores":1,"memoryMb":512,"resources":{},"state":"EXITED",
        |"exitStatus":1,"message":"Command exited with code 1"}]}""".stripMargin))
    val view = api().application("app-1").get
    assertEquals("RUNNING", view.state)
    assertEquals(Seq(ExecutorView(0, "w1", "10.0.0.1:7078", 1, 512, "EXITED", Some(1),
      Some("Command exited with code 1"))), view.executors)
    assertEquals(None, api().application("app-2"))
  }

  @Test def aSessionReportsItsServerAndHearsWhenToStop(): Unit = {
    val app = """{"id":"app-1","state":"RUNNING","executors":[]"""
    val route = ("POST", "/v1/applications/app-1/heartbeat")
    answers = Map(route -> (200, app + "}"))
    assertEquals(None, api().application("app-1").get.stopSession)
    assertEquals("{}", requests.poll()._4)
    answers = Map(route -> (200, app + ""","session":{"stop":false}}"""))
    assertEquals(None,
      api().application("app-1", Some(SessionReport(None, busy = true))).get.stopSession)
    assertEquals("""{"session":{"busy":true}}""", requests.poll()._4)
    answers = Map(route -> (200, app + ""","session":{"stop":true,"reason":"idle"}}"""))
    assertEquals(Some("idle"),
      api().application("app-1", Some(SessionReport(Some(15002), busy = false))).get.stopSession)
    assertEquals("""{"session":{"port":15002,"busy":false}}""", requests.poll()._4)
  }

  @Test def executorTargetsPerResourceProfile(): Unit = {
    answers = Map(("POST", "/v1/applications/app-1/executors") -> (200, "{}"))
    api().requestExecutors("app-1", Seq(ProfileRequest(1, 3, Some(2), None, Map.empty),
      ProfileRequest(0, 2, Some(1), Some(512L), Map.empty)))
    assertEquals(
      """{"profiles":[{"resourceProfileId":0,"total":2,"executor":{"cores":1,"memoryMb":512,"resources":{}}},""" +
        """{"resourceProfileId":1,"total":3,"executor":{"cores":2,"resources":{}}}]}""",
      Messages.mapper.readTree(requests.peek()._4).toString)
  }

  @Test def unregisteringAnEndedApplicationIsFine(): Unit = {
    api().unregister("app-9")
    answers = Map(("DELETE", "/v1/applications/app-1") -> (401, """{"message":"token expired"}"""))
    assertThrows(classOf[SparkplaneApiException], () => api().unregister("app-1"))
  }
}
