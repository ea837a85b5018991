package dev.aranya.itests.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An Aranya process's {@code /metrics} (the aranya-observability bundle; its port is read off the log line
 * "Metrics and health endpoint on http://…/"), and its heap after a forced full GC, as benchmarks read them.
 */
public final class AranyaMetrics {
    private static final Pattern ENDPOINT = Pattern.compile("Metrics and health endpoint on http://([^/]+)/");

    private final DistributionProcess aranya;
    private final HttpClient http = HttpClient.newHttpClient();
    private URI metrics;

    public AranyaMetrics(DistributionProcess aranya) {
        this.aranya = aranya;
    }

    /** The whole Prometheus text of one scrape. */
    public String scrape() throws IOException, InterruptedException {
        if (metrics == null) {
            Matcher endpoint = ENDPOINT.matcher(aranya.output());
            if (!endpoint.find()) {
                throw new IllegalStateException("Aranya has not logged its metrics endpoint yet");
            }
            metrics = URI.create("http://" + endpoint.group(1) + "/metrics");
        }
        return http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /**
     * The value of one sample, e.g. {@code aranya_sessions{transport="tcp"}} (labels exactly as Aranya writes
     * them), or 0 if the scrape has no such sample.
     */
    public double value(String sample) throws IOException, InterruptedException {
        String prefix = sample + " ";
        return scrape().lines().filter(line -> line.startsWith(prefix))
                .mapToDouble(line -> Double.parseDouble(line.substring(prefix.length()).trim()))
                .findFirst().orElse(0);
    }

    /**
     * Heap in use right after a full GC: {@code jcmd <pid> GC.run}, then {@code aranya_jvm_heap_used_bytes}; three
     * times, the median (a scrape allocates a little, and a concurrent reconcile may hold a little more).
     */
    public long heapAfterGc() throws IOException, InterruptedException {
        long[] samples = new long[3];
        for (int i = 0; i < samples.length; i++) {
            Process gc = new ProcessBuilder("jcmd", String.valueOf(aranya.pid()), "GC.run").redirectErrorStream(true)
                    .start();
            String output = new String(gc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!gc.waitFor(120, TimeUnit.SECONDS) || gc.exitValue() != 0) {
                throw new IOException("jcmd GC.run failed: " + output);
            }
            samples[i] = (long) value("aranya_jvm_heap_used_bytes");
        }
        Arrays.sort(samples);
        return samples[1];
    }
}
