package dev.aranya.arhat.internal;

import dev.aranya.api.agent.AgentStream;
import dev.aranya.api.agent.AgentStreamListener;
import dev.aranya.api.agent.HostStreams;
import dev.aranya.protocol.v1.Frame;
import java.util.concurrent.ExecutorService;

/**
 * Sends an exec whose container names a peripheral to the peripheral's driver ({@link PeripheralExecStream}), and
 * every other stream to the host's {@link HostStreams}: the virtual pod's {@code host} container (and any other name)
 * stays the device host.
 */
final class PeripheralStreams implements HostStreams {
    private final HostStreams host;
    private final PeripheralRegistry registry;
    private final ExecutorService operations;

    /**
     * @param operations runs the operations (each blocks its thread while it runs); owned by the caller
     */
    PeripheralStreams(HostStreams host, PeripheralRegistry registry, ExecutorService operations) {
        this.host = host;
        this.registry = registry;
        this.operations = operations;
    }

    @Override
    public AgentStreamListener open(Frame opening, AgentStream stream) {
        if (opening.getBodyCase() == Frame.BodyCase.EXEC && registry.isPeripheral(opening.getExec().getContainer())) {
            PeripheralExecStream operation = new PeripheralExecStream(opening.getExec(), stream, registry);
            operation.start(operations);
            return operation;
        }
        return host.open(opening, stream);
    }
}
