package dev.aranya.session.internal;

import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceSessions;
import dev.aranya.api.session.SessionListener;
import dev.aranya.api.transport.DeviceConnection;
import dev.aranya.api.transport.DeviceConnectionListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.GoodbyeReason;
import dev.aranya.protocol.v1.NodeStatus;
import dev.aranya.protocol.v1.PeripheralsStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live device sessions: every transport hands its accepted connections to {@link #connectionListener()}, which
 * runs the protocol on them ({@link CloudSession}). A device has at most one current connection: the newest one
 * that completed the hello. Listeners hear of sessions in the order they change, never concurrently.
 */
@Component(service = DeviceSessions.class, configurationPid = SessionConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = SessionConfig.class)
public final class SessionRegistry implements DeviceSessions {
    private static final Logger LOG = LoggerFactory.getLogger(SessionRegistry.class);

    private final SessionSettings settings;
    private final ScheduledExecutorService scheduler;
    private final CallbackQueue notifications = new CallbackQueue();
    private final List<SessionListener> listeners = new CopyOnWriteArrayList<>();
    // guarded by this: every connection not yet ended, and the current one of each device
    private final Set<CloudSession> live = new HashSet<>();
    private final Map<DeviceId, CloudSession> current = new HashMap<>();
    private boolean stopped;
    // changed only by notifications (in the order listeners hear of them)
    private final Map<DeviceId, CloudSession> online = new ConcurrentHashMap<>();

    @Activate
    public SessionRegistry(BundleContext context, SessionConfig config) {
        this(new SessionSettings(Duration.ofSeconds(config.heartbeatIntervalSeconds()), config.heartbeatMissLimit(),
                Duration.ofSeconds(config.statusIntervalSeconds()), config.streamWindow(), config.maxFrameSize(),
                config.maxStreams(), Duration.ofSeconds(config.streamOpenTimeoutSeconds()),
                Duration.ofSeconds(config.cancelGraceSeconds()), context.getBundle().getVersion().toString()),
                newScheduler());
    }

    public SessionRegistry(SessionSettings settings, ScheduledExecutorService scheduler) {
        this.settings = settings;
        this.scheduler = scheduler;
        LOG.info("Device sessions ready: heartbeat {} ms x {}, status every {} ms, stream window {} B, up to {} streams per device",
                settings.heartbeatInterval().toMillis(), settings.heartbeatMissLimit(),
                settings.statusInterval().toMillis(), settings.streamWindow(), settings.maxStreams());
    }

    private static ScheduledExecutorService newScheduler() {
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "aranya-sessions");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.setRemoveOnCancelPolicy(true);
        return scheduler;
    }

    @Deactivate
    public void stop() {
        List<CloudSession> open;
        synchronized (this) {
            stopped = true;
            open = new ArrayList<>(live);
        }
        for (CloudSession session : open) {
            session.close(GoodbyeReason.GOODBYE_REASON_SHUTDOWN, "Aranya's session layer is stopping");
        }
        scheduler.shutdownNow();
    }

    private synchronized boolean isStopped() {
        return stopped;
    }

    CallbackQueue notifications() {
        return notifications;
    }

    // ---- DeviceSessions

    @Override
    public DeviceConnectionListener connectionListener() {
        return this::connected;
    }

    private FrameHandler connected(DeviceConnection connection) {
        // made outside the monitor: making a session may run queued listener callbacks
        CloudSession session = null;
        if (!isStopped()) {
            try {
                session = new CloudSession(connection, this, settings, scheduler);
            } catch (RejectedExecutionException stopping) {
                // stop() shut the scheduler down meanwhile
            }
        }
        synchronized (this) {
            if (session != null && !stopped) {
                LOG.info("Device {} connected over {} from {}", connection.device(), connection.method(), connection.peer());
                live.add(session);
                return session;
            }
        }
        connection.close("Aranya's session layer is stopping");
        return new FrameHandler() {
            @Override
            public void onFrame(Frame frame) {
            }

            @Override
            public void onClosed(String reason) {
            }
        };
    }

    @Override
    public Optional<DeviceSession> find(DeviceId device) {
        return Optional.ofNullable(online.get(device));
    }

    @Override
    public Collection<DeviceSession> all() {
        return List.copyOf(online.values());
    }

    @Override
    public AutoCloseable watch(SessionListener listener) {
        notifications.add(() -> {
            for (CloudSession session : online.values()) {
                listener.online(session);
            }
            listeners.add(listener);
        });
        notifications.drain();
        return () -> listeners.remove(listener);
    }

    @Override
    public void disconnect(DeviceId device, String reason) {
        CloudSession session;
        synchronized (this) {
            session = current.get(device);
        }
        if (session != null) {
            session.close(GoodbyeReason.GOODBYE_REASON_DEVICE_REMOVED, reason);
        }
    }

    // ---- from the sessions (under the session's lock; notifications run after it is released)

    /**
     * Makes the session its device's current one.
     *
     * @return the session it replaces, which the caller ends
     * @throws IllegalStateException when stopping
     */
    synchronized Optional<CloudSession> takeOver(CloudSession session) {
        if (stopped) {
            throw new IllegalStateException("Aranya's session layer is stopping");
        }
        return Optional.ofNullable(current.put(session.device(), session)).filter(older -> older != session);
    }

    void online(CloudSession session) {
        synchronized (this) {
            if (current.get(session.device()) != session) {
                return;
            }
        }
        LOG.info("Device {} online over {} (agent {})", session.device(), session.method(), session.agentVersion());
        notifications.add(() -> {
            online.put(session.device(), session);
            listeners.forEach(listener -> listener.online(session));
        });
    }

    void statusReported(CloudSession session, NodeStatus status) {
        notifications.add(() -> {
            if (online.get(session.device()) == session) {
                listeners.forEach(listener -> listener.statusReported(session, status));
            }
        });
    }

    void peripheralsReported(CloudSession session, PeripheralsStatus status) {
        notifications.add(() -> {
            if (online.get(session.device()) == session) {
                listeners.forEach(listener -> listener.peripheralsReported(session, status));
            }
        });
    }

    void ended(CloudSession session, String reason) {
        synchronized (this) {
            live.remove(session);
            current.remove(session.device(), session);
        }
        notifications.add(() -> {
            if (online.remove(session.device(), session)) {
                LOG.info("Device {} offline: {}", session.device(), reason);
                listeners.forEach(listener -> listener.offline(session.device(), reason));
            }
        });
    }
}
