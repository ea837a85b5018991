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
     * Runs one of the peripheral's operations.
     *
     * @param operation the operation's name from the spec
     * @param args      the arguments the user typed after the pseudo command
     * @return the exit code shown to the user
     */
    int execute(String operation, List<String> args, InputStream stdin, OutputStream stdout, OutputStream stderr)
            throws IOException;

    /** Reads the peripheral's metrics now. */
    List<Sample> collect() throws IOException;

    @Override
    void close() throws IOException;

    /**
     * One metric value.
     *
     * @param name   the metric's name from the spec
     * @param value  the value
     * @param labels extra labels (device and peripheral labels are added by the agent)
     */
    record Sample(String name, double value, Map<String, String> labels) {
        public Sample {
            labels = labels == null ? Map.of() : Map.copyOf(labels);
        }
    }
}
