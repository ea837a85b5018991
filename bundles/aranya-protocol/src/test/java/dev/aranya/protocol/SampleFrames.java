package dev.aranya.protocol;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import dev.aranya.protocol.v1.Attach;
import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.Data;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.ErrorInfo;
import dev.aranya.protocol.v1.Exec;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.Goodbye;
import dev.aranya.protocol.v1.GoodbyeReason;
import dev.aranya.protocol.v1.HalfClose;
import dev.aranya.protocol.v1.Hello;
import dev.aranya.protocol.v1.HelloAck;
import dev.aranya.protocol.v1.Logs;
import dev.aranya.protocol.v1.MetricSample;
import dev.aranya.protocol.v1.MetricType;
import dev.aranya.protocol.v1.NodeAddress;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.NodeStatus;
import dev.aranya.protocol.v1.Peripheral;
import dev.aranya.protocol.v1.PeripheralConnector;
import dev.aranya.protocol.v1.PeripheralMetric;
import dev.aranya.protocol.v1.PeripheralOperation;
import dev.aranya.protocol.v1.PeripheralState;
import dev.aranya.protocol.v1.Peripherals;
import dev.aranya.protocol.v1.PeripheralsStatus;
import dev.aranya.protocol.v1.EnrolRequest;
import dev.aranya.protocol.v1.EnrolResponse;
import dev.aranya.protocol.v1.Ping;
import dev.aranya.protocol.v1.Pong;
import dev.aranya.protocol.v1.PortForward;
import dev.aranya.protocol.v1.Signal;
import dev.aranya.protocol.v1.StreamAccepted;
import dev.aranya.protocol.v1.StreamEnd;
import dev.aranya.protocol.v1.TerminalSize;
import dev.aranya.protocol.v1.WindowUpdate;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** One realistic frame of every body, with the direction it is sent in. */
final class SampleFrames {

    record Sample(Frame frame, Direction direction) {
    }

    static final long CONNECTION = 0x5eed_cafe_f00d_0001L;

    private static final Timestamp NOW = Timestamp.newBuilder().setSeconds(1_760_000_000L).setNanos(123_000_000).build();

    private SampleFrames() {
    }

    static Frame.Builder frame(long stream, long sequence) {
        return Frame.newBuilder().setConnectionId(CONNECTION).setStreamId(stream).setSequence(sequence);
    }

    static Frame data(long stream, long sequence, Channel channel, String text) {
        return frame(stream, sequence).setData(Data.newBuilder().setChannel(channel)
                .setPayload(ByteString.copyFrom(text, StandardCharsets.UTF_8))).build();
    }

    static List<Sample> all() {
        Direction up = Direction.AGENT_TO_ARANYA;
        Direction down = Direction.ARANYA_TO_AGENT;
        return List.of(
                new Sample(frame(0, 1).setHello(Hello.newBuilder().setDeviceNamespace("edge").setDeviceName("pi-01")
                        .setAgentVersion("0.1.0").setProtocolVersion(1).setMinProtocolVersion(1)
                        .addCapabilities(Capabilities.EXEC).addCapabilities(Capabilities.TTY)
                        .setMaxFrameSize(1 << 20).setInitialStreamWindow(65_536).setMaxConcurrentStreams(16)).build(), up),
                new Sample(frame(0, 1).setHelloAck(HelloAck.newBuilder().setProtocolVersion(1)
                        .setHeartbeatInterval(Duration.newBuilder().setSeconds(10)).setHeartbeatMissLimit(3)
                        .setStatusInterval(Duration.newBuilder().setSeconds(30)).setMaxFrameSize(1 << 20)
                        .setInitialStreamWindow(262_144).addCapabilities("exec").setAranyaVersion("0.1.0")).build(), down),
                new Sample(frame(0, 2).setNodeInfo(NodeInfo.newBuilder().setHostname("pi-01").setOs("linux")
                        .setOsImage("Debian GNU/Linux 12 (bookworm)").setKernelVersion("6.1.0-18-arm64")
                        .setArchitecture("arm64").setCpus(4).setMemoryBytes(8L << 30).setDiskBytes(64L << 30)
                        .addAddresses(NodeAddress.newBuilder().setType(NodeAddress.Type.TYPE_INTERNAL_IP).setAddress("10.0.0.7"))
                        .addAddresses(NodeAddress.newBuilder().setType(NodeAddress.Type.TYPE_HOSTNAME).setAddress("pi-01"))
                        .setMachineId("0123456789abcdef0123456789abcdef").setBootId("b00t").setAgentVersion("0.1.0")).build(), up),
                new Sample(frame(0, 3).setNodeStatus(NodeStatus.newBuilder().setTimestamp(NOW)
                        .setCpuUsageCoreNanoseconds(123_456_789_000L).setCpuUsageNanoCores(250_000_000L)
                        .setMemoryUsageBytes(1L << 30).setMemoryAvailableBytes(7L << 30)
                        .setFilesystemUsedBytes(10L << 30).setFilesystemAvailableBytes(54L << 30)
                        .setNetworkRxBytes(1_000_000).setNetworkTxBytes(2_000_000).setUptimeSeconds(86_400)
                        .setLoad1M(0.5).setLoad5M(0.25).setLoad15M(0.125)
                        .addMetrics(MetricSample.newBuilder().setName("modbus_temperature_celsius")
                                .putLabels("sensor", "boiler").setType(MetricType.METRIC_TYPE_GAUGE).setValue(71.5))).build(), up),
                new Sample(frame(0, 6).setPeripherals(Peripherals.newBuilder().addPeripherals(Peripheral.newBuilder()
                        .setName("boiler").setConnector(PeripheralConnector.newBuilder().setMethod("modbus-tcp")
                                .setTarget("10.0.0.9:502").putParams("unitId", "3"))
                        .addOperations(PeripheralOperation.newBuilder().setName("set-temperature")
                                .putParams("function", "write-single-register").putParams("address", "40"))
                        .addMetrics(PeripheralMetric.newBuilder().setName("modbus_temperature_celsius")
                                .setValueType(MetricType.METRIC_TYPE_GAUGE).putParams("address", "41")))).build(), down),
                new Sample(frame(0, 6).setPeripheralsStatus(PeripheralsStatus.newBuilder().addPeripherals(PeripheralState.newBuilder()
                        .setName("boiler").setPhase(PeripheralState.Phase.PHASE_DRIVER_MISSING)
                        .setMessage("no driver for connector method 'modbus-tcp'"))).build(), up),
                new Sample(frame(0, 1).setEnrolRequest(EnrolRequest.newBuilder().setDeviceNamespace("edge")
                        .setDeviceName("pi-01").setBootstrapToken("token").setCsr(ByteString.copyFromUtf8("csr"))).build(), up),
                new Sample(frame(0, 1).setEnrolResponse(EnrolResponse.newBuilder()
                        .addCertificateChain(ByteString.copyFromUtf8("leaf")).addDeviceCa(ByteString.copyFromUtf8("ca"))).build(), down),
                new Sample(frame(0, 4).setPing(Ping.newBuilder().setNonce(42).setSentAt(NOW)).build(), up),
                new Sample(frame(0, 2).setPong(Pong.newBuilder().setNonce(42).setPingSentAt(NOW).setSentAt(NOW)).build(), down),
                new Sample(frame(0, 5).setError(ErrorInfo.newBuilder().setCode(ErrorCode.ERROR_CODE_UNSUPPORTED)
                        .setMessage("unknown control body").setRefSequence(4)).build(), up),
                new Sample(frame(0, 9).setGoodbye(Goodbye.newBuilder().setReason(GoodbyeReason.GOODBYE_REASON_SHUTDOWN)
                        .setMessage("stopping").setReconnectDelay(Duration.newBuilder().setSeconds(5))).build(), down),
                new Sample(frame(1, 3).setExec(Exec.newBuilder().addCommand("/bin/sh").addCommand("-c").addCommand("uname -a")
                        .setTty(true).setStdin(true).setStdout(true).putEnv("TERM", "xterm")
                        .setInitialSize(TerminalSize.newBuilder().setCols(120).setRows(40))).build(), down),
                new Sample(frame(3, 4).setAttach(Attach.newBuilder().setStdout(true).setStderr(true).setContainer("console")).build(), down),
                new Sample(frame(5, 5).setLogs(Logs.newBuilder().setContainer("journal").setFollow(true).setTailLines(100)
                        .setSinceTime(NOW).setTimestamps(true).setLimitBytes(1 << 20)).build(), down),
                new Sample(frame(7, 6).setPortForward(PortForward.newBuilder().setPort(8080)
                        .setProtocol(PortForward.Protocol.PROTOCOL_TCP)).build(), down),
                new Sample(frame(1, 6).setStreamAccepted(StreamAccepted.getDefaultInstance()).build(), up),
                new Sample(data(1, 7, Channel.CHANNEL_STDOUT, "Linux pi-01 6.1.0-18-arm64\n"), up),
                new Sample(data(1, 8, Channel.CHANNEL_STDIN, "exit\n"), down),
                new Sample(frame(1, 9).setResize(TerminalSize.newBuilder().setCols(80).setRows(24)).build(), down),
                new Sample(frame(1, 8).setWindowUpdate(WindowUpdate.newBuilder().setCredit(5)).build(), up),
                new Sample(frame(1, 10).setHalfClose(HalfClose.newBuilder().setChannel(Channel.CHANNEL_STDIN)).build(), down),
                new Sample(frame(7, 11).setCancel(Cancel.newBuilder().setSignal(Signal.SIGNAL_TERM).setReason("client gone")).build(), down),
                new Sample(frame(1, 9).setStreamEnd(StreamEnd.newBuilder().setExitCode(0)).build(), up),
                new Sample(frame(7, 10).setStreamEnd(StreamEnd.newBuilder().setError(ErrorInfo.newBuilder()
                        .setCode(ErrorCode.ERROR_CODE_CANCELLED).setMessage("cancelled"))).build(), up));
    }
}
