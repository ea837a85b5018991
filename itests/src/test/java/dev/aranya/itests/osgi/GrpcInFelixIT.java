package dev.aranya.itests.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.ops4j.pax.exam.CoreOptions.options;

import dev.aranya.itests.support.RuntimeBundles;
import dev.aranya.protocol.v1.Frame;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * grpc-java inside Felix: the server and channel providers are found through ServiceLoader from the wrapped
 * bundle, and a bidirectional stream carries protocol frames both ways.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class GrpcInFelixIT {
    private static final MethodDescriptor<Frame, Frame> CONNECT = MethodDescriptor.<Frame, Frame>newBuilder()
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
            .setFullMethodName(MethodDescriptor.generateFullMethodName("aranya.it.Echo", "Connect"))
            .setRequestMarshaller(ProtoUtils.marshaller(Frame.getDefaultInstance()))
            .setResponseMarshaller(ProtoUtils.marshaller(Frame.getDefaultInstance()))
            .build();

    @Configuration
    public Option[] config() {
        return options(RuntimeBundles.all());
    }

    @Test
    public void bidirectionalStreamCarriesFramesInsideFelix() throws Exception {
        ServerServiceDefinition echo = ServerServiceDefinition.builder("aranya.it.Echo")
                .addMethod(CONNECT, ServerCalls.asyncBidiStreamingCall(responses -> new StreamObserver<Frame>() {
                    @Override public void onNext(Frame frame) {
                        responses.onNext(frame.toBuilder().setSequence(frame.getSequence() * 10).build());
                    }
                    @Override public void onError(Throwable t) { }
                    @Override public void onCompleted() { responses.onCompleted(); }
                }))
                .build();
        // forPort and forAddress go through grpc's provider registries: they fail when ServiceLoader can't see them
        Server server = ServerBuilder.forPort(0).addService(echo).build().start();
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        try {
            List<Long> echoed = new CopyOnWriteArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch done = new CountDownLatch(1);
            StreamObserver<Frame> requests = ClientCalls.asyncBidiStreamingCall(channel.newCall(CONNECT, io.grpc.CallOptions.DEFAULT),
                    new StreamObserver<Frame>() {
                        @Override public void onNext(Frame frame) { echoed.add(frame.getSequence()); }
                        @Override public void onError(Throwable t) { failure.set(t); done.countDown(); }
                        @Override public void onCompleted() { done.countDown(); }
                    });
            for (long sequence = 1; sequence <= 3; sequence++) {
                requests.onNext(Frame.newBuilder().setStreamId(1).setSequence(sequence).build());
            }
            requests.onCompleted();

            assertThat(done.await(10, TimeUnit.SECONDS)).as("stream completed").isTrue();
            assertThat(failure.get()).as("stream error").isNull();
            assertThat(echoed).containsExactly(10L, 20L, 30L);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
