package dev.aranya.transport.grpc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.protocol.v1.Frame;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The Aranya side of one call: when its end reaches the handler the session layer put on it. */
class GrpcDeviceConnectionTest {
    private final List<String> callsEnded = new CopyOnWriteArrayList<>();
    private final List<String> handlerTold = new CopyOnWriteArrayList<>();
    private final FrameHandler handler = new FrameHandler() {
        @Override
        public void onFrame(Frame frame) {
        }

        @Override
        public void onClosed(String reason) {
            handlerTold.add(reason);
        }
    };
    private final GrpcDeviceConnection connection = new GrpcDeviceConnection(new DeviceId("edge", "dev-1"), "agent",
            1 << 20, new GrpcDeviceConnection.Call() {
                @Override
                public void send(Frame frame) {
                }

                @Override
                public void end(String reason) {
                    callsEnded.add(reason);
                }
            }, closed -> { });

    @Test
    void aConnectionClosedWhileTheSessionLayerTookItTellsItsHandlerAtOnce() {
        connection.close("the gRPC transport is stopping"); // before the session layer set its handler

        connection.setHandler(handler);

        assertThat(handlerTold).containsExactly("the gRPC transport is stopping");
        assertThat(callsEnded).containsExactly("the gRPC transport is stopping");
    }

    @Test
    void theHandlerIsToldOnceHoweverTheConnectionEnds() {
        connection.setHandler(handler);

        connection.ended("the agent's call ended without a goodbye");
        connection.close("the gRPC transport is stopping");
        connection.setHandler(handler);

        assertThat(handlerTold).containsExactly("the agent's call ended without a goodbye");
        assertThat(callsEnded).as("a call that ended is not ended again").isEmpty();
    }
}
