package dev.aranya.transport.tcp.internal;

import com.google.protobuf.ByteString;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceStream;
import dev.aranya.api.session.StreamListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.protocol.Capabilities;
import dev.aranya.protocol.FrameCodec;
import dev.aranya.protocol.FrameDecoder;
import dev.aranya.protocol.ProtocolLimits;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.Data;
import dev.aranya.protocol.v1.Exec;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.NodeStatus;
import dev.aranya.protocol.v1.StreamEnd;
import dev.aranya.session.agent.AgentEndpoint;
import dev.aranya.session.agent.AgentSettings;
import dev.aranya.session.internal.SessionRegistry;
import dev.aranya.session.internal.SessionSettings;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Prints frames/s and MB/s of the frame codec, and of one stream over one TLS connection on loopback through the
 * whole stack (agent endpoint, TCP link, TCP transport, session layer, flow control with prompt credit).
 * Run (docs/benchmarks.md): {@code java -cp ... dev.aranya.transport.tcp.internal.TransportBenchmark}.
 */
public final class TransportBenchmark {
    private static final DeviceId DEVICE = new DeviceId("bench", "tcp-bench");

    private TransportBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        for (int payload : new int[] {64, 16 << 10}) {
            codec(payload, payload == 64 ? 2_000_000 : 100_000);
        }
        for (int chunk : new int[] {1 << 10, 64 << 10}) {
            tcp(chunk, chunk == 1024 ? 64L << 20 : 512L << 20);
        }
    }

    /** Encodes and decodes Data frames of the given payload size, one length-prefixed byte stream. */
    private static void codec(int payload, int frames) throws Exception {
        Frame frame = Frame.newBuilder().setStreamId(5).setSequence(123_456).setConnectionId(0x1234_5678_9abcL)
                .setData(Data.newBuilder().setChannel(Channel.CHANNEL_STDOUT).setPayload(ByteString.copyFrom(new byte[payload])))
                .build();
        for (int round = 0; round < 3; round++) { // the first rounds warm up the JIT
            long start = System.nanoTime();
            long bytes = 0;
            for (int i = 0; i < frames; i++) {
                bytes += FrameCodec.encode(frame, ProtocolLimits.DEFAULT_MAX_FRAME_SIZE).length;
            }
            double encodeSeconds = (System.nanoTime() - start) / 1e9;

            byte[] one = FrameCodec.encode(frame, ProtocolLimits.DEFAULT_MAX_FRAME_SIZE);
            ByteBuffer stream = ByteBuffer.allocate(one.length * 1000);
            for (int i = 0; i < 1000; i++) {
                stream.put(one);
            }
            FrameDecoder decoder = new FrameDecoder(ProtocolLimits.DEFAULT_MAX_FRAME_SIZE);
            start = System.nanoTime();
            int decoded = 0;
            for (int i = 0; i < frames / 1000; i++) {
                stream.flip();
                while (decoder.decode(stream) != null) {
                    decoded++;
                }
                stream.limit(stream.capacity());
            }
            double decodeSeconds = (System.nanoTime() - start) / 1e9;
            if (round == 2) {
                System.out.printf("codec  payload %6d B: encode %,12.0f frames/s %8.1f MB/s | decode %,12.0f frames/s %8.1f MB/s%n",
                        payload, frames / encodeSeconds, bytes / encodeSeconds / 1e6,
                        decoded / decodeSeconds, (double) decoded * one.length / decodeSeconds / 1e6);
            }
        }
    }

    /** CPU time of this process (both ends run in it): throughput per CPU-second does not depend on other load. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** One stream of {@code total} bytes from the agent to Aranya, written in chunks of {@code chunk} bytes. */
    private static void tcp(int chunk, long total) throws Exception {
        Path folder = Files.createTempDirectory("aranya-bench");
        TestPki pki = new TestPki(folder);
        TestPki.Issued serverCa = pki.ca("bench-server-ca");
        TestPki.Issued deviceCa = pki.ca("bench-device-ca");
        TestPki.Issued server = pki.server(serverCa, "localhost");
        TestPki.Issued device = pki.device(deviceCa, DEVICE.namespace(), DEVICE.name());
        ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
        SessionRegistry sessions = new SessionRegistry(SessionSettings.defaults("bench"), scheduler);
        TcpDeviceTransport transport = new TcpDeviceTransport(new TcpServerSettings("127.0.0.1", 0,
                server.certificateFile(), server.keyFile(), java.util.Optional.of(deviceCa.certificateFile()), ProtocolLimits.DEFAULT_MAX_FRAME_SIZE, 1));
        TcpCloudLink link = new TcpCloudLink();
        try {
            EdgeDevice edgeDevice = new EdgeDevice();
            edgeDevice.setMetadata(new ObjectMetaBuilder().withNamespace(DEVICE.namespace()).withName(DEVICE.name()).build());
            transport.register(edgeDevice, sessions.connectionListener());
            FloodHost flood = new FloodHost(total, chunk);
            new AgentEndpoint(AgentSettings.defaults(DEVICE, "bench", Set.of(Capabilities.EXEC)), flood,
                    NodeInfo::getDefaultInstance, NodeStatus::getDefaultInstance, scheduler)
                    .connect(link, Map.of("host", "localhost", "port", String.valueOf(transport.localAddress().getPort()),
                            "certificate", device.certificateFile().toString(), "key", device.keyFile().toString(),
                            "caCertificate", serverCa.certificateFile().toString()));
            DeviceSession session = null;
            while (session == null) {
                Thread.sleep(10);
                session = sessions.find(DEVICE).orElse(null);
            }
            long[] frames = new long[1];
            DeviceStream[] stream = new DeviceStream[1];
            long start = System.nanoTime();
            long cpuStart = processCpuNanos();
            stream[0] = session.open(Frame.newBuilder().setExec(Exec.newBuilder().addCommand("bench").setStdout(true)).build(),
                    new StreamListener() {
                        @Override
                        public void onData(Channel channel, ByteBuffer data) {
                            frames[0]++;
                            stream[0].consumed(data.remaining());
                        }

                        @Override
                        public void onEnd(StreamEnd end) {
                        }
                    });
            stream[0].ended().toCompletableFuture().get(10, TimeUnit.MINUTES);
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
            System.out.printf("tcp+tls one stream, writes of %6d B: %,10.0f data frames/s %8.1f MB/s (%d MiB in %.2f s);"
                            + " per CPU-second of both ends: %,10.0f frames %8.1f MB%n",
                    chunk, frames[0] / seconds, total / seconds / 1e6, total >> 20, seconds,
                    frames[0] / cpuSeconds, total / cpuSeconds / 1e6);
        } finally {
            link.stop();
            transport.stop();
            sessions.stop();
        }
    }
}
