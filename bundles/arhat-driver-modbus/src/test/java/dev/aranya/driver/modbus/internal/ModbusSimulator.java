package dev.aranya.driver.modbus.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.function.UnaryOperator;

/**
 * A small Modbus TCP server for tests: 100 coils, holding and input registers, function codes 1, 3, 4, 5, 6; an
 * unknown function or an address beyond the tables gets a Modbus exception. {@link #tamper} rewrites replies, to
 * play a hostile server. Also used by the end-to-end tests (itests), through this module's test jar.
 */
public final class ModbusSimulator implements AutoCloseable {
    public final int[] coils = new int[100];
    public final int[] holding = new int[100];
    public final int[] input = new int[100];
    private final ServerSocket server;
    private volatile UnaryOperator<byte[]> tamper = UnaryOperator.identity();

    public ModbusSimulator() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "modbus-simulator");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Every later reply (the whole ADU) passes through this. */
    public void tamper(UnaryOperator<byte[]> replies) {
        tamper = replies;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Thread serving = new Thread(() -> serve(client), "modbus-simulator-client");
                serving.setDaemon(true);
                serving.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client; DataInputStream in = new DataInputStream(client.getInputStream());
             DataOutputStream out = new DataOutputStream(client.getOutputStream())) {
            while (true) {
                int transaction = in.readUnsignedShort();
                in.readUnsignedShort();
                byte[] body = new byte[in.readUnsignedShort()];
                in.readFully(body);
                ByteBuffer request = ByteBuffer.wrap(body);
                int unit = request.get() & 0xff;
                int function = request.get() & 0xff;
                byte[] pdu = answer(function, request.getShort() & 0xffff, request.getShort() & 0xffff);
                ByteBuffer reply = ByteBuffer.allocate(7 + pdu.length).putShort((short) transaction).putShort((short) 0)
                        .putShort((short) (pdu.length + 1)).put((byte) unit).put(pdu);
                out.write(tamper.apply(reply.array()));
                out.flush();
            }
        } catch (IOException e) {
            // the client left
        }
    }

    private synchronized byte[] answer(int function, int address, int second) {
        switch (function) {
            case 1, 3, 4 -> {
                int[] table = function == 1 ? coils : function == 3 ? holding : input;
                if (address + second > table.length) {
                    return new byte[] {(byte) (function | 0x80), 2};
                }
                int bytes = function == 1 ? (second + 7) / 8 : second * 2;
                ByteBuffer pdu = ByteBuffer.allocate(2 + bytes).put((byte) function).put((byte) bytes);
                for (int i = 0; i < second; i++) {
                    if (function == 1) {
                        int at = 2 + i / 8;
                        pdu.put(at, (byte) (pdu.get(at) | (table[address + i] << (i % 8))));
                    } else {
                        pdu.putShort(2 + 2 * i, (short) table[address + i]);
                    }
                }
                return pdu.array();
            }
            case 5, 6 -> {
                if (address >= 100) {
                    return new byte[] {(byte) (function | 0x80), 2};
                }
                if (function == 5) {
                    coils[address] = second == 0xFF00 ? 1 : 0;
                } else {
                    holding[address] = second;
                }
                return ByteBuffer.allocate(5).put((byte) function).putShort((short) address).putShort((short) second).array();
            }
            default -> {
                return new byte[] {(byte) (function | 0x80), 1};
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
