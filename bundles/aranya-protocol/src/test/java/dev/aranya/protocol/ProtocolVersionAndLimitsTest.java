package dev.aranya.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.ErrorInfo;
import dev.aranya.protocol.v1.Hello;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ProtocolVersionAndLimitsTest {

    @Test
    void negotiationPicksTheHighestCommonMajorVersion() {
        assertThat(ProtocolVersion.CURRENT).isEqualTo(1);
        assertThat(ProtocolVersion.negotiate(1, 1)).isEqualTo(OptionalInt.of(1));
        assertThat(ProtocolVersion.negotiate(0, 1)).isEqualTo(OptionalInt.of(1));
        assertThat(ProtocolVersion.negotiate(1, 7)).isEqualTo(OptionalInt.of(1)); // a newer agent that still speaks 1
        assertThat(ProtocolVersion.negotiate(2, 3)).isEmpty();                  // an agent that dropped 1
        assertThat(ProtocolVersion.negotiate(0, 0)).isEmpty();                  // no version at all
        assertThat(ProtocolVersion.negotiate(0, 2)).isEmpty();                  // only 2
        assertThat(ProtocolVersion.negotiate(3, 1)).isEmpty();                  // inverted range
        assertThat(ProtocolVersion.negotiate(Hello.newBuilder().setProtocolVersion(1).build())).hasValue(1);
        assertThat(ProtocolVersion.isSupported(1)).isTrue();
        assertThat(ProtocolVersion.isSupported(2)).isFalse();
        assertThat(ProtocolVersion.isSupported(0)).isFalse();
    }

    @Test
    void announcedFrameSizeIsResolvedDefaultedCappedOrRefused() throws Exception {
        assertThat(ProtocolLimits.resolveMaxFrameSize(0)).isEqualTo(ProtocolLimits.DEFAULT_MAX_FRAME_SIZE);
        assertThat(ProtocolLimits.resolveMaxFrameSize(65_536)).isEqualTo(65_536);
        assertThat(ProtocolLimits.resolveMaxFrameSize(1 << 30)).isEqualTo(ProtocolLimits.MAX_FRAME_SIZE_LIMIT);
        assertThat(ProtocolLimits.resolveMaxFrameSize(-1)).isEqualTo(ProtocolLimits.MAX_FRAME_SIZE_LIMIT); // uint32 max
        assertThatThrownBy(() -> ProtocolLimits.resolveMaxFrameSize(ProtocolLimits.MIN_FRAME_SIZE_LIMIT - 1))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_BAD_REQUEST));
    }

    @Test
    void announcedInitialWindowIsResolvedOrRefused() throws Exception {
        assertThat(ProtocolLimits.resolveInitialWindow(0)).isEqualTo(ProtocolLimits.DEFAULT_INITIAL_STREAM_WINDOW);
        assertThat(ProtocolLimits.resolveInitialWindow(1)).isEqualTo(1);
        assertThat(ProtocolLimits.resolveInitialWindow(Integer.MAX_VALUE)).isEqualTo(ProtocolLimits.MAX_WINDOW);
        assertThatThrownBy(() -> ProtocolLimits.resolveInitialWindow(-1)) // uint32 above 2^31 - 1
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_BAD_REQUEST));
    }

    @Test
    void exceptionBecomesTheErrorInfoSentToThePeer() {
        ProtocolException e = new ProtocolException(ErrorCode.ERROR_CODE_FLOW_CONTROL, "overrun");
        assertThat(e.toErrorInfo()).isEqualTo(ErrorInfo.newBuilder()
                .setCode(ErrorCode.ERROR_CODE_FLOW_CONTROL).setMessage("overrun").build());
    }

    @Test
    void grpcServiceIsOneBidirectionalStreamOfFrames() {
        var method = dev.aranya.protocol.v1.LinkProto.getDescriptor().findServiceByName("AgentLink")
                .findMethodByName("Connect");
        assertThat(method.getService().getFullName() + "/" + method.getName()).isEqualTo("aranya.v1.AgentLink/Connect");
        assertThat(method.isClientStreaming()).isTrue();
        assertThat(method.isServerStreaming()).isTrue();
        assertThat(method.getInputType().getFullName()).isEqualTo("aranya.v1.Frame");
        assertThat(method.getOutputType().getFullName()).isEqualTo("aranya.v1.Frame");
    }
}
