package dev.aranya.transport.mqtt.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import javax.net.SocketFactory;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.Test;

class NoDelaySocketsTest {
    @Test
    void plainUrisGetAPlainFactoryWhoseSocketsHaveNagleOff() throws Exception {
        for (String uri : new String[] {"tcp://broker:1883", "ws://broker:80"}) {
            SocketFactory factory = NoDelaySockets.forUri(uri, null);
            // Paho refuses an SSLSocketFactory for tcp:// and ws://
            assertThat(factory).as(uri).isNotInstanceOf(SSLSocketFactory.class);
            try (Socket socket = factory.createSocket()) {
                assertThat(socket.getTcpNoDelay()).as(uri).isTrue();
            }
        }
    }

    @Test
    void tlsUrisGetATlsFactoryWhoseSocketsHaveNagleOff() throws Exception {
        SSLSocketFactory configured = (SSLSocketFactory) SSLSocketFactory.getDefault();
        for (String uri : new String[] {"ssl://broker:8883", "wss://broker:443"}) {
            for (SSLSocketFactory tls : new SSLSocketFactory[] {configured, null}) {
                SocketFactory factory = NoDelaySockets.forUri(uri, tls);
                assertThat(factory).as(uri).isInstanceOf(SSLSocketFactory.class);
                try (Socket socket = factory.createSocket()) {
                    assertThat(socket).isInstanceOf(SSLSocket.class);
                    assertThat(socket.getTcpNoDelay()).as(uri).isTrue();
                }
            }
        }
    }
}
