package dev.aranya.runtime;

import java.util.logging.Level;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/**
 * Sends the framework's own messages to java.util.logging, which pax-logging routes to the one Aranya log once
 * its bundle runs (before that, they go to the console).
 */
final class FrameworkLogger extends org.apache.felix.framework.Logger {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger("org.apache.felix.framework");

    FrameworkLogger() {
        setLogLevel(LOG_WARNING);
    }

    @Override
    protected void doLog(Bundle bundle, ServiceReference sr, int level, String msg, Throwable throwable) {
        String prefix = bundle == null ? "" : "[" + bundle.getSymbolicName() + "] ";
        LOG.log(julLevel(level), prefix + msg, throwable);
    }

    @Override
    protected void doLog(int level, String msg, Throwable throwable) {
        LOG.log(julLevel(level), msg, throwable);
    }

    private static Level julLevel(int level) {
        return switch (level) {
            case LOG_ERROR -> Level.SEVERE;
            case LOG_WARNING -> Level.WARNING;
            case LOG_INFO -> Level.INFO;
            default -> Level.FINE;
        };
    }
}
