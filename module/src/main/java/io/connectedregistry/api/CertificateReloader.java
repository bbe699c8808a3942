package io.connectedregistry.api;

import io.connectedregistry.config.RegistryConfig.TlsConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.FileProps;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves renewed certificates without a restart: polls the certificate, key and client CA files
 * (last-modified time and size, through Vert.x's non-blocking file system) and, when they changed
 * and the new files load as a matching pair, swaps them into the running server. Files that do not
 * load are reported once per change and the previous certificate stays in service.
 *
 * <p>A change is applied once the files have stayed the same for one whole interval, so a
 * certificate and key written one after the other are never loaded half-renewed.
 */
final class CertificateReloader {
  private static final Logger LOG = LoggerFactory.getLogger(CertificateReloader.class);

  /** How often the files are checked; tests shorten it with the system property. */
  static final long INTERVAL_MILLIS = Long.getLong("registry.tls.reloadIntervalMillis", 5_000L);

  private final Vertx vertx;
  private final HttpServer server;
  private final TlsConfig tls;
  /** The stamp of the files now served (or last refused); null until the first check. */
  private List<String> applied;
  /** A changed stamp seen by the last check, applied when the next check sees it unchanged. */
  private List<String> pending;
  private boolean busy;
  private long timer = -1;

  CertificateReloader(Vertx vertx, HttpServer server, TlsConfig tls) {
    this.vertx = vertx;
    this.server = server;
    this.tls = tls;
  }

  /** The options the server starts with and every reload applies. */
  static ServerSSLOptions sslOptions(TlsConfig tls) {
    ServerSSLOptions options = new ServerSSLOptions().setKeyCertOptions(keyCert(tls));
    if (tls.clientCa() != null) {
      options.setTrustOptions(trust(tls)).setClientAuth(ClientAuth.REQUIRED);
    }
    return options;
  }

  static PemKeyCertOptions keyCert(TlsConfig tls) {
    return new PemKeyCertOptions()
        .setCertPath(tls.certificate().toString())
        .setKeyPath(tls.key().toString());
  }

  static PemTrustOptions trust(TlsConfig tls) {
    return new PemTrustOptions().addCertPath(tls.clientCa().toString());
  }

  /** Takes the files' current stamp as the one served, then checks every interval. */
  Future<Void> start() {
    return stamp().map(now -> {
      applied = now;
      timer = vertx.setPeriodic(INTERVAL_MILLIS, id -> check());
      return null;
    });
  }

  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  private void check() {
    if (busy) {
      return;
    }
    busy = true;
    stamp()
        .compose(now -> {
          if (now.equals(applied)) {
            pending = null;
            return Future.succeededFuture();
          }
          if (!now.equals(pending)) {
            pending = now; // still being written, perhaps: wait one more interval
            return Future.succeededFuture();
          }
          pending = null;
          applied = now;
          return reload();
        })
        .onComplete(done -> busy = false);
  }

  private Future<Void> reload() {
    return vertx
        .executeBlocking(() -> {
          verify();
          return null;
        }, false)
        .compose(ok -> server.updateSSLOptions(sslOptions(tls), true))
        .<Void>map(updated -> {
          LOG.info("TLS certificate reloaded from {} and {}{}", tls.certificate(), tls.key(),
              tls.clientCa() == null ? "" : " (client CA " + tls.clientCa() + ")");
          return null;
        })
        .recover(e -> {
          // Never the exception itself: some PEM errors quote what they could not parse.
          LOG.warn("TLS files {} / {}{} changed but do not load ({}); still serving the previous"
                  + " certificate", tls.certificate(), tls.key(),
              tls.clientCa() == null ? "" : " / " + tls.clientCa(), reason(e));
          return Future.succeededFuture();
        });
  }

  private static String reason(Throwable e) {
    return e instanceof MismatchException ? e.getMessage() : e.getClass().getSimpleName();
  }

  /** Loads the new files the way the server will, and checks the key belongs to the certificate. */
  private void verify() throws Exception {
    if (tls.clientCa() != null) {
      trust(tls).getTrustManagerFactory(vertx);
    }
    X509KeyManager keys = null;
    for (KeyManager manager : keyCert(tls).getKeyManagerFactory(vertx).getKeyManagers()) {
      if (manager instanceof X509KeyManager x509) {
        keys = x509;
      }
    }
    if (keys == null) {
      throw new MismatchException("no key in the key file");
    }
    for (String type : new String[] {"RSA", "EC", "EdDSA", "Ed25519", "RSASSA-PSS"}) {
      String[] aliases = keys.getServerAliases(type, null);
      if (aliases == null || aliases.length == 0) {
        continue;
      }
      PrivateKey privateKey = keys.getPrivateKey(aliases[0]);
      X509Certificate[] chain = keys.getCertificateChain(aliases[0]);
      if (privateKey == null || chain == null || chain.length == 0) {
        throw new MismatchException("no certificate for the key");
      }
      String algorithm = switch (privateKey.getAlgorithm()) {
        case "RSA" -> "SHA256withRSA";
        case "EC" -> "SHA256withECDSA";
        case "EdDSA", "Ed25519" -> "Ed25519";
        default -> null;
      };
      if (algorithm == null) {
        return; // a key type we cannot test; the handshake will tell
      }
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(privateKey);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(chain[0].getPublicKey());
      verifier.update(challenge);
      if (!verifier.verify(signature)) {
        throw new MismatchException("the key does not belong to the certificate");
      }
      return;
    }
    throw new MismatchException("no usable key in the key file");
  }

  /** Each file's modification time and size; a missing file counts as a change too. */
  private Future<List<String>> stamp() {
    List<Path> files = new ArrayList<>(List.of(tls.certificate(), tls.key()));
    if (tls.clientCa() != null) {
      files.add(tls.clientCa());
    }
    List<Future<String>> stats = new ArrayList<>();
    for (Path file : files) {
      stats.add(vertx.fileSystem().props(file.toString())
          .map(CertificateReloader::describe)
          .otherwise(e -> "missing"));
    }
    return Future.all(stats).map(all -> {
      List<String> stamp = new ArrayList<>();
      for (Future<String> stat : stats) {
        stamp.add(stat.result());
      }
      return stamp;
    });
  }

  private static String describe(FileProps props) {
    return props.lastModifiedTime() + "/" + props.size();
  }

  private static final class MismatchException extends Exception {
    MismatchException(String message) {
      super(message, null, false, false);
    }
  }
}
