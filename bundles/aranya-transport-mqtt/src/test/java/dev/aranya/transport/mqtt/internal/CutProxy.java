package dev.aranya.transport.mqtt.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A loopback TCP relay to the broker that can vanish: it drops every socket without a word, like a device losing power. */
final class CutProxy implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    CutProxy(int brokerPort) throws IOException {
        server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    Socket broker = new Socket(InetAddress.getLoopbackAddress(), brokerPort);
                    sockets.add(client);
                    sockets.add(broker);
                    pump(client.getInputStream(), broker.getOutputStream());
                    pump(broker.getInputStream(), client.getOutputStream());
                } catch (IOException closed) {
                    return;
                }
            }
        }, "cut-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Resets every relayed connection (RST), so the broker sees the agent vanish without a DISCONNECT. */
    void cut() throws IOException {
        for (Socket socket : sockets) {
            if (socket.isClosed()) {
                continue;
            }
            socket.setSoLinger(true, 0);
            socket.close();
        }
    }

    private static void pump(InputStream in, OutputStream out) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16384];
            try {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException cut) {
                // the end of the relay
            }
        }, "cut-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws IOException {
        server.close();
        cut();
    }
}
