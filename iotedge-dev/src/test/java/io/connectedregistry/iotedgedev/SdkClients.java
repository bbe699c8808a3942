package io.connectedregistry.iotedgedev;

import com.microsoft.azure.sdk.iot.device.ClientOptions;
import com.microsoft.azure.sdk.iot.device.IotHubClientProtocol;
import com.microsoft.azure.sdk.iot.device.transport.IotHubConnectionStatus;
import com.microsoft.azure.sdk.iot.device.ModuleClient;
import com.microsoft.azure.sdk.iot.device.exceptions.IotHubClientException;
import com.microsoft.azure.sdk.iot.device.twin.ReportedPropertiesUpdateResponse;
import com.microsoft.azure.sdk.iot.device.twin.Twin;
import com.microsoft.azure.sdk.iot.device.twin.TwinCollection;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Real SDK ModuleClients against the stand-in, and what they observed. */
final class SdkClients {

  static final Duration WAIT = Duration.ofSeconds(30);

  private SdkClients() {}

  /** A TLS context that trusts only the stand-in's edge CA (what EdgeModuleCACertificateFile does). */
  static SSLContext trusting(Path caPem) throws Exception {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    try (InputStream in = Files.newInputStream(caPem)) {
      store.setCertificateEntry("edge-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext ctx = SSLContext.getInstance("TLSv1.2");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  static ModuleClient byConnectionString(String connectionString, Path caPem) throws Exception {
    return new ModuleClient(connectionString, IotHubClientProtocol.MQTT,
        ClientOptions.builder().sslContext(trusting(caPem)).build());
  }

  /**
   * The SDK (2.5.0) sometimes loses a twin response it did receive when the response overtakes the
   * PUBACK of the request (Azure/azure-iot-sdk-java#1803; seen here with DEBUG logs: "Executing
   * callback for received message ... RESPONSE", then a timeout). Both calls are safe to repeat:
   * short timeouts, a few attempts, as the module does.
   */
  static <T> T retried(SdkCall<T> call) throws Exception {
    IotHubClientException last = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        return call.run(ATTEMPT_TIMEOUT_MS);
      } catch (IotHubClientException e) {
        last = e;
      }
    }
    throw last;
  }

  static final int ATTEMPTS = 4;
  static final int ATTEMPT_TIMEOUT_MS = 5_000;

  interface SdkCall<T> {
    T run(int timeoutMillis) throws Exception;
  }

  static Twin getTwin(ModuleClient client) throws Exception {
    return retried(client::getTwin);
  }

  static ReportedPropertiesUpdateResponse report(ModuleClient client, TwinCollection reported) throws Exception {
    return retried(t -> client.updateReportedProperties(reported, t));
  }

  /** A client with its observations: desired patches and connection states, in arrival order. */
  static final class Observed {
    final ModuleClient client;
    final BlockingQueue<Twin> desiredPatches = new LinkedBlockingQueue<>();
    final BlockingQueue<IotHubConnectionStatus> states = new LinkedBlockingQueue<>();

    Observed(ModuleClient client) {
      this.client = client;
      client.setConnectionStatusChangeCallback(ctx -> states.add(ctx.getNewStatus()), null);
    }

    /** open, subscribe to desired properties (before any twin GET, see issue 11 item 6). */
    Observed openAndSubscribe() throws Exception {
      client.open(false);
      client.subscribeToDesiredProperties((twin, ctx) -> desiredPatches.add(twin), null);
      return this;
    }

    Twin nextDesiredPatch() throws InterruptedException {
      Twin t = desiredPatches.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      if (t == null) {
        throw new AssertionError("no desired patch reached the SDK within " + WAIT);
      }
      return t;
    }

    void awaitState(IotHubConnectionStatus wanted) throws InterruptedException {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline) {
        IotHubConnectionStatus s = states.poll(100, TimeUnit.MILLISECONDS);
        if (s == wanted) {
          return;
        }
      }
      throw new AssertionError("the SDK did not reach " + wanted + " within " + WAIT);
    }
  }
}
