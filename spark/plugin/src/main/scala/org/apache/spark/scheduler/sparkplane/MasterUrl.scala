package org.apache.spark.scheduler.sparkplane

import java.net.URI

import scala.util.Try

/**
 * A sparkplane master URL: `sparkplane://host:port` is the control plane's HTTP API over plain
 * HTTP (local mode, a load balancer inside a VPC), `sparkplane+https://host[:port][/path]` the
 * deployed API over HTTPS. Both start with "spark", which is what spark-submit asks of a
 * standalone master; neither is `spark://`, which SparkContext keeps for its own master.
 */
private[spark] object MasterUrl {
  private val Schemes = Map("sparkplane" -> "http", "sparkplane+https" -> "https")

  def accepts(url: String): Boolean = parse(url).isRight

  /** The API's base URI (no trailing slash), or why the URL is not a sparkplane master. */
  def parse(url: String): Either[String, URI] = {
    val uri = Try(new URI(url)).toOption
    uri match {
      case Some(u) if u.getScheme != null && Schemes.contains(u.getScheme) =>
        if (u.getHost == null) Left(s"$url names no host")
        else if (u.getRawQuery != null || u.getRawFragment != null || u.getRawUserInfo != null) {
          Left(s"$url must be ${u.getScheme}://host:port with no user, query or fragment")
        } else if (u.getScheme == "sparkplane" && u.getPort < 0) {
          Left(s"$url names no port (sparkplane://host:port)")
        } else {
          val path = Option(u.getRawPath).getOrElse("").stripSuffix("/")
          val port = if (u.getPort < 0) "" else s":${u.getPort}"
          Right(new URI(s"${Schemes(u.getScheme)}://${u.getHost}$port$path"))
        }
      case _ => Left(s"$url is not a sparkplane master URL (sparkplane://host:port)")
    }
  }
}
