import JobServices
import Testing

@Suite("Metrics text")
struct MetricsTests {
    @Test("label values are escaped as the Prometheus text format asks, and series are told apart by them")
    func labelsAreEscaped() {
        let metrics = Metrics()
        metrics.increment("cncf_test_total", ["operation": #"a"b\c"#, "status": "line\nbreak"])
        metrics.increment("cncf_test_total", ["operation": "plain", "status": "ok"], by: 2)
        metrics.increment("cncf_test_total", ["status": "ok", "operation": "plain"])

        let text = metrics.prometheusText()

        #expect(text.contains(#"cncf_test_total{operation="a\"b\\c",status="line\nbreak"} 1"#), "\(text)")
        #expect(text.contains(#"cncf_test_total{operation="plain",status="ok"} 3"#), "\(text)")
        #expect(metrics.counter("cncf_test_total", ["status": "ok", "operation": "plain"]) == 3)
    }

    @Test("a histogram counts each observation in every bucket at or above it")
    func histogramBuckets() {
        let metrics = Metrics()
        metrics.observe("cncf_test_seconds", ["operation": "x"], seconds: 0.003)

        let text = metrics.prometheusText()

        #expect(text.contains(#"cncf_test_seconds_bucket{operation="x",le="0.0025"} 0"#), "\(text)")
        #expect(text.contains(#"cncf_test_seconds_bucket{operation="x",le="0.005"} 1"#), "\(text)")
        #expect(text.contains(#"cncf_test_seconds_count{operation="x"} 1"#), "\(text)")
    }
}
