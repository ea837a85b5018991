package dev.aranya.itests.controller;

import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceSessions;
import dev.aranya.api.session.DeviceStream;
import dev.aranya.api.session.SessionListener;
import dev.aranya.api.session.StreamListener;
import dev.aranya.api.transport.DeviceConnectionListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.NodeStatus;
import dev.aranya.protocol.v1.PeripheralsStatus;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A session registry whose devices the test brings online and offline, standing for connected agents. */
public final class TestSessions implements DeviceSessions {
    private final Map<DeviceId, Session> online = new ConcurrentHashMap<>();
    private final List<SessionListener> listeners = new CopyOnWriteArrayList<>();

    public void bringOnline(DeviceId device, NodeInfo info) {
        Session session = new Session(device, info, Instant.now());
        online.put(device, session);
        listeners.forEach(listener -> listener.online(session));
    }

    /** The device's agent reports its peripherals, as an agent does whenever one opens, fails or closes. */
    public void reportPeripherals(DeviceId device, PeripheralsStatus status) {
        Session session = online.get(device);
        if (session != null) {
            listeners.forEach(listener -> listener.peripheralsReported(session, status));
        }
    }

    public void takeOffline(DeviceId device, String reason) {
        if (online.remove(device) != null) {
            listeners.forEach(listener -> listener.offline(device, reason));
        }
    }

    @Override
    public DeviceConnectionListener connectionListener() {
        return connection -> {
            throw new UnsupportedOperationException("the test's devices connect through bringOnline");
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
        // listening first: a session that comes meanwhile is told twice rather than not at all
        listeners.add(listener);
        online.values().forEach(listener::online);
        return () -> listeners.remove(listener);
    }

    @Override
    public void disconnect(DeviceId device, String reason) {
        takeOffline(device, reason);
    }

    private record Session(DeviceId device, NodeInfo nodeInfo, Instant connectedAt) implements DeviceSession {
        @Override
        public String method() {
            return "grpc";
        }

        @Override
        public String peer() {
            return "192.0.2.10:40000";
        }

        @Override
        public String agentVersion() {
            return nodeInfo.getAgentVersion();
        }

        @Override
        public Set<String> capabilities() {
            return Set.of();
        }

        @Override
        public Instant lastSeen() {
            return Instant.now();
        }

        @Override
        public Optional<NodeStatus> lastStatus() {
            return Optional.empty();
        }

        @Override
        public int openStreams() {
            return 0;
        }

        @Override
        public DeviceStream open(Frame opening, StreamListener listener) {
            throw new UnsupportedOperationException("no streams in the controller test");
        }

        @Override
        public void close(String reason) {
        }
    }
}
