package dev.aranya.api.driver;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;

/** An open peripheral: its operations run through {@code kubectl exec -c <peripheral>}. */
@ConsumerType
public interface Peripheral extends AutoCloseable {
    /**
     * Runs one of the peripheral's operations, on a thread of its own (it may block); the agent has checked that the
     * operation is in the config. Output written to {@code stdout}/{@code stderr} reaches kubectl as it is written
     * (a write blocks while kubectl is slow to read).
     *
     * @param operation the operation from the config
     * @param args      the arguments the user typed after the operation's name
     * @param stdin     empty for now: operations take their input as arguments
     * @return the exit code shown to the user
     * @throws IllegalArgumentException with a message for the user when the arguments are unusable (exit code 2)
     * @throws IOException              when the peripheral failed (the stream ends with the error)
     */
    int execute(PeripheralConfig.Operation operation, List<String> args, InputStream stdin, OutputStream stdout, OutputStream stderr)
            throws IOException;

    /**
     * Reads the peripheral's metrics now: one sample or more per metric of the config (with distinguishing labels).
     * Called every status interval, never concurrently with itself.
     */
    List<Sample> collect() throws IOException;

    @Override
    void close() throws IOException;

    /**
     * One metric value.
     *
     * @param name   the metric's name from the config (its type comes from the spec's valueType)
     * @param value  the value
     * @param labels extra labels; the agent adds {@code device} and {@code peripheral}
     */
    record Sample(String name, double value, Map<String, String> labels) {
        public Sample {
            labels = labels == null ? Map.of() : Map.copyOf(labels);
        }
    }
}
