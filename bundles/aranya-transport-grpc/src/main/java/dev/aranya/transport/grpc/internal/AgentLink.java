package dev.aranya.transport.grpc.internal;

import dev.aranya.protocol.v1.Frame;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;

/** The protocol's gRPC method, {@code /aranya.v1.AgentLink/Connect} (link.proto): one call is one connection. */
final class AgentLink {
    static final String SERVICE = "aranya.v1.AgentLink";
    static final MethodDescriptor<Frame, Frame> CONNECT = MethodDescriptor.<Frame, Frame>newBuilder()
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Connect"))
            .setRequestMarshaller(ProtoUtils.marshaller(Frame.getDefaultInstance()))
            .setResponseMarshaller(ProtoUtils.marshaller(Frame.getDefaultInstance()))
            .build();

    private AgentLink() {
    }
}
