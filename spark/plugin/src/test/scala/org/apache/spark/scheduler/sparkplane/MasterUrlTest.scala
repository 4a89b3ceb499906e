package org.apache.spark.scheduler.sparkplane

import java.util.ServiceLoader

import scala.jdk.CollectionConverters._

import org.apache.spark.scheduler.ExternalClusterManager
import org.junit.jupiter.api.Assertions._
import org.junit.jupiter.api.Test

class MasterUrlTest {
  @Test def plainHttpForSparkplaneUrls(): Unit = {
    assertEquals(Right("http://127.0.0.1:6066"), MasterUrl.parse("sparkplane://127.0.0.1:6066").map(_.toString))
    assertEquals(Right("http://[::1]:6066"), MasterUrl.parse("sparkplane://[::1]:6066/").map(_.toString))
  }

  @Test def httpsWithAnOptionalPortAndPath(): Unit = {
    assertEquals(Right("https://abc.execute-api.eu-west-1.amazonaws.com"),
      MasterUrl.parse("sparkplane+https://abc.execute-api.eu-west-1.amazonaws.com").map(_.toString))
    assertEquals(Right("https://api.example.com:8443/prod"),
      MasterUrl.parse("sparkplane+https://api.example.com:8443/prod/").map(_.toString))
  }

  @Test def refusesWhatIsNotASparkplaneMaster(): Unit = {
    for (url <- Seq("spark://127.0.0.1:7077", "local[2]", "yarn", "sparkplane://host",
        "sparkplane://user@host:6066", "sparkplane://host:6066?x=1", "sparkplane:///x", "sparkplane://")) {
      assertFalse(MasterUrl.accepts(url), url)
    }
    assertEquals(Left("sparkplane://host names no port (sparkplane://host:port)"),
      MasterUrl.parse("sparkplane://host"))
  }

  @Test def registeredAsSparksExternalClusterManager(): Unit = {
    val managers = ServiceLoader.load(classOf[ExternalClusterManager]).asScala.toSeq
    val ours = managers.filter(_.isInstanceOf[SparkplaneClusterManager])
    assertEquals(1, ours.size)
    assertTrue(ours.head.canCreate("sparkplane://127.0.0.1:6066"))
    assertFalse(ours.head.canCreate("spark://127.0.0.1:7077"))
  }
}
