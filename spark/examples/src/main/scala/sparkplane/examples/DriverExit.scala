package sparkplane.examples

/**
 * A driver with no SparkContext, like Spark's DriverSubmissionTest: `DriverExit <seconds>
 * <exit code>` lives that long, then exits with that code. For tests of where drivers go and
 * what their exits become.
 */
object DriverExit {
  def main(args: Array[String]): Unit = {
    val seconds = args(0).toInt
    val code = args(1).toInt
    println(s"DriverExit alive for $seconds s, then exit $code")
    Thread.sleep(seconds * 1000L)
    sys.exit(code)
  }
}
