package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.Expect.error;
import static io.connectedregistry.e2e.support.Expect.header;
import static io.connectedregistry.e2e.support.Expect.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.Oci;
import io.connectedregistry.e2e.support.Oci.Blob;
import io.connectedregistry.e2e.support.Oci.Manifest;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import io.connectedregistry.e2e.support.Workspace;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a registry on a device must withstand from its neighbours: readiness probes at once, error
 * bodies that name no path, {@code nosniff} on every answer, web pages reaching a loopback
 * registry (DNS rebinding through the {@code Host} header, cross-site writes through
 * {@code Origin}), and a data folder others cannot read.
 */
class HttpHardeningTest {

  private static RegistryProcess registry;
  private static RegistryClient client;

  @BeforeAll
  static void startRegistry() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "these are this registry's own guarantees");
    registry = RegistryProcess.startFresh("hardening");
    client = new RegistryClient(registry);
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  // ------------------------------------------------------------------------------------------
  // readiness

  @Test
  void fiftyReadinessProbesAtOnceAllAnswer200() {
    for (int round = 0; round < 4; round++) {
      List<CompletableFuture<HttpResponse<String>>> probes = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        probes.add(client.http().sendAsync(
            HttpRequest.newBuilder(client.uri("/readyz")).timeout(Duration.ofSeconds(30)).GET().build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      for (CompletableFuture<HttpResponse<String>> probe : probes) {
        HttpResponse<String> r = probe.orTimeout(60, TimeUnit.SECONDS).join();
        assertEquals(200, r.statusCode(), () -> "round of 50 concurrent /readyz: " + r.statusCode() + " " + r.body());
      }
    }
  }

  @Test
  void aFailedReadinessProbeSaysWhyWithoutNamingAPath() throws IOException {
    RegistryProcess own = RegistryProcess.startFresh("hardening-readyz");
    try {
      RegistryClient c = new RegistryClient(own);
      status(c.get("/readyz"), 200);
      // Uploads cannot be written while "uploads" is a file: the store cannot take writes.
      Path uploads = own.dataDir().resolve("uploads");
      Workspace.deleteRecursively(uploads);
      Files.writeString(uploads, "not a folder");

      Response r = c.get("/readyz");

      status(r, 503);
      assertEquals("unavailable", r.json().path("status").asText(), r::describe);
      assertFalse(r.text().contains(own.dataDir().toString()), () -> "the body names the data folder: " + r);
      assertFalse(r.text().contains("uploads") || r.text().contains(".probe"), () -> "the body names a file: " + r);
      assertTrue(own.log().contains(uploads.toString()), () -> "the log should say what failed:\n" + own.logTail(20));

      Files.delete(uploads);
      Files.createDirectory(uploads);
      status(c.get("/readyz"), 200);
    } finally {
      own.close();
    }
  }

  // ------------------------------------------------------------------------------------------
  // X-Content-Type-Options: nosniff on every answer

  @Test
  void everyAnswerCarriesNosniff() {
    String repo = "hardening/nosniff";
    Blob config = Oci.config(repo);
    client.pushBlob(repo, config.data());
    Manifest m = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(config));
    client.pushManifest(repo, "v1", m.mediaType(), m.bytes());

    List<Response> answers = List.of(
        status(client.get("/v2/"), 200),
        status(client.get("/healthz"), 200),
        status(client.get("/readyz"), 200),
        status(client.get("/v2/" + repo + "/manifests/v1"), 200),
        status(client.head("/v2/" + repo + "/manifests/v1"), 200),
        status(client.get("/v2/" + repo + "/blobs/" + config.digest()), 200),
        status(client.post("/v2/" + repo + "/blobs/uploads/", new byte[0]), 202),
        status(client.put("/v2/" + repo + "/manifests/v2", m.bytes(), "Content-Type", Oci.IMAGE_MANIFEST), 201),
        status(client.get("/v2/" + repo + "/manifests/nope"), 404),
        status(client.get("/v2/" + repo + "/blobs/" + Digests.sha256(new byte[] {9})), 404),
        status(client.get("/no/such/endpoint"), 404),
        status(client.get("/v2/Bad..Name/tags/list"), 400));
    for (Response r : answers) {
      header(r, "X-Content-Type-Options", "nosniff");
    }
  }

  @Test
  void requestsTooBrokenToRouteGetNosniffToo() {
    List<RawAnswer> answers = List.of(
        raw("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "a".repeat(20_000) + "\r\nConnection: close\r\n\r\n"),
        raw("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
        raw("NOT HTTP AT ALL\r\n\r\n"));
    for (RawAnswer r : answers) {
      assertTrue(r.status() >= 400 && r.status() < 500, r::toString);
      assertTrue(r.head().toLowerCase().contains("x-content-type-options: nosniff"), r::toString);
    }
  }

  @Test
  void answersOfARegistryThatRequiresTokensCarryNosniffToo() {
    RegistryProcess auth = AuthSupport.prepareWithConfig("hardening-auth", "auth:\n  anonymousPull: false\n");
    try {
      Credentials reader = AuthSupport.createToken(auth, "reader", "--repository", "*", "content/read");
      auth.start();
      RegistryClient c = new RegistryClient(auth);

      List<Response> answers = List.of(
          status(c.get("/v2/"), 401),
          status(c.get("/v2/app/manifests/v1"), 401),
          status(c.get("/oauth2/token?service=" + auth.hostPort() + "&scope=repository:app:pull",
              reader.header()), 200),
          status(c.get("/oauth2/token?service=" + auth.hostPort(), "Authorization",
              AuthSupport.basic("reader", "wrong-password")), 401),
          status(c.post("/oauth2/token", "grant_type=password&username=reader&password=wrong"
              .getBytes(StandardCharsets.UTF_8), "Content-Type", "application/x-www-form-urlencoded"), 401));
      for (Response r : answers) {
        header(r, "X-Content-Type-Options", "nosniff");
      }
    } finally {
      auth.close();
    }
  }

  // ------------------------------------------------------------------------------------------
  // a loopback registry and the web pages of the same machine

  @Test
  void aHostHeaderThatIsNotLoopbackIsRefusedOnALoopbackRegistry() {
    int port = registry.port();
    for (String host : List.of("evil.example", "evil.example:" + port, "127.0.0.1.evil.example:" + port,
        "localhost.evil.example", "10.0.0.1:" + port, "[::2]:" + port, "0.0.0.0:" + port)) {
      RawAnswer r = raw("GET /v2/ HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
      assertEquals(403, r.status(), () -> "Host: " + host + " -> " + r);
      assertTrue(r.body().contains("\"DENIED\""), () -> "Host: " + host + " -> " + r);
      assertTrue(r.head().toLowerCase().contains("x-content-type-options: nosniff"), r::toString);
    }
    // DNS rebinding reads as well as writes: a tag list is refused like everything else.
    RawAnswer tags = raw("GET /v2/hardening/nosniff/tags/list HTTP/1.1\r\nHost: rebind.example:" + port
        + "\r\nConnection: close\r\n\r\n");
    assertEquals(403, tags.status(), tags::toString);
  }

  @Test
  void loopbackHostHeadersWithAnyPortAreServed() {
    int port = registry.port();
    for (String host : List.of("127.0.0.1:" + port, "127.0.0.1", "localhost:" + port, "localhost",
        "LOCALHOST:" + port, "127.1.2.3:8080", "[::1]:" + port, "[::1]")) {
      RawAnswer r = raw("GET /v2/ HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
      assertEquals(200, r.status(), () -> "Host: " + host + " -> " + r);
    }
  }

  @Test
  void aWriteCarryingAForeignOriginIsRefusedAndChangesNothing() {
    String repo = "hardening/origin";
    Blob config = Oci.config(repo);
    client.pushBlob(repo, config.data());
    Manifest m = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(config));
    client.pushManifest(repo, "keep", m.mediaType(), m.bytes());

    for (String origin : List.of("http://evil.example", "https://evil.example", "http://evil.example:" + registry.port(),
        "http://localhost:" + registry.port(), "http://127.0.0.1:" + (registry.port() + 1), "null")) {
      error(client.post("/v2/" + repo + "/blobs/uploads/", new byte[0], "Origin", origin), 403, "DENIED");
      error(client.put("/v2/" + repo + "/manifests/cross", m.bytes(), "Content-Type", Oci.IMAGE_MANIFEST,
          "Origin", origin), 403, "DENIED");
      error(client.delete("/v2/" + repo + "/manifests/keep", "Origin", origin), 403, "DENIED");
      error(client.post("/oauth2/token", "grant_type=password&username=a&password=b".getBytes(StandardCharsets.UTF_8),
          "Content-Type", "application/x-www-form-urlencoded", "Origin", origin), 403, "DENIED");
    }
    error(client.get("/v2/" + repo + "/manifests/cross"), 404, "MANIFEST_UNKNOWN");
    status(client.get("/v2/" + repo + "/manifests/keep"), 200);
    // Reads are not writes: a page may not read them (no CORS), but they change nothing.
    status(client.get("/v2/" + repo + "/manifests/keep", "Origin", "http://evil.example"), 200);
  }

  @Test
  void aWriteFromTheRegistrysOwnOriginOrWithoutOriginIsServed() {
    String repo = "hardening/same-origin";
    String self = "http://" + registry.hostPort();
    status(client.post("/v2/" + repo + "/blobs/uploads/", new byte[0], "Origin", self), 202);
    status(client.post("/v2/" + repo + "/blobs/uploads/", new byte[0]), 202);
    // The same origin written with the default port of its scheme.
    RawAnswer r = raw("POST /v2/" + repo + "/blobs/uploads/ HTTP/1.1\r\nHost: localhost\r\n"
        + "Origin: http://localhost:80\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    assertEquals(202, r.status(), r::toString);
  }

  // ------------------------------------------------------------------------------------------
  // the data folder

  private static final Set<PosixFilePermission> OWNER_ONLY_FOLDER = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
  private static final List<String> DATABASES = List.of("metadata.db", "auth.db");
  private static final List<String> DATABASE_SUFFIXES = List.of("", "-wal", "-shm", "-journal");

  @Test
  void theDataFolderAndItsDatabasesAreTheOwnersAlone() throws IOException {
    // A write first, so that the write-ahead logs exist.
    client.pushBlob("hardening/modes", Digests.randomBytes(77, 100));

    assertOwnerOnly(registry);
  }

  @Test
  void aDataFolderWithLooserModesIsTightenedWhenTheRegistryOpensIt() throws IOException {
    RegistryProcess own = RegistryProcess.startFresh("hardening-modes");
    try {
      new RegistryClient(own).pushBlob("modes/x", Digests.randomBytes(78, 100));
      own.stop();
      Files.setPosixFilePermissions(own.dataDir(), PosixFilePermissions.fromString("rwxr-xr-x"));
      for (String db : DATABASES) {
        Files.setPosixFilePermissions(own.dataDir().resolve(db), PosixFilePermissions.fromString("rw-r--r--"));
      }

      own.start();
      new RegistryClient(own).pushBlob("modes/x", Digests.randomBytes(79, 100));

      assertOwnerOnly(own);
    } finally {
      own.close();
    }
  }

  @Test
  void anAuthDatabaseCreatedByTheTokenCommandIsTheOwnersAlone() throws IOException {
    RegistryProcess own = RegistryProcess.prepare("hardening-cli");
    try {
      Workspace.deleteRecursively(own.dataDir());
      AuthSupport.createToken(own, "someone", "--repository", "*", "content/read");

      assertEquals(OWNER_ONLY_FOLDER, Files.getPosixFilePermissions(own.dataDir()), "data folder");
      assertEquals(OWNER_ONLY_FILE, Files.getPosixFilePermissions(own.dataDir().resolve("auth.db")), "auth.db");
    } finally {
      own.close();
    }
  }

  private static void assertOwnerOnly(RegistryProcess r) throws IOException {
    assertEquals(OWNER_ONLY_FOLDER, Files.getPosixFilePermissions(r.dataDir()), "data folder " + r.dataDir());
    int checked = 0;
    for (String db : DATABASES) {
      assertTrue(Files.exists(r.dataDir().resolve(db)), db + " should exist");
      for (String suffix : DATABASE_SUFFIXES) {
        Path file = r.dataDir().resolve(db + suffix);
        if (Files.exists(file)) {
          assertEquals(OWNER_ONLY_FILE, Files.getPosixFilePermissions(file), file.toString());
          checked++;
        }
      }
    }
    assertTrue(checked >= 4, "the databases and at least their write-ahead logs should have been checked");
  }

  // ------------------------------------------------------------------------------------------

  /** One answer read off a raw socket: the status line and headers as text, and the body. */
  private record RawAnswer(int status, String head, String body) {}

  /**
   * Sends {@code request} as written (java.net.http will not send a Host header of the caller's
   * choosing) to the registry on 127.0.0.1 and reads the answer until the server closes.
   */
  private static RawAnswer raw(String request) {
    try (Socket socket = new Socket(InetAddress.getByName("127.0.0.1"), registry.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      for (int n; (n = in.read(buffer)) != -1 && all.size() < 1_000_000; ) {
        all.write(buffer, 0, n);
      }
      String text = all.toString(StandardCharsets.ISO_8859_1);
      int split = text.indexOf("\r\n\r\n");
      String head = split < 0 ? text : text.substring(0, split);
      String body = split < 0 ? "" : text.substring(split + 4);
      int status = Integer.parseInt(head.substring(9, 12));
      return new RawAnswer(status, head, body);
    } catch (IOException e) {
      throw new UncheckedIOException("raw request to " + registry.hostPort() + " failed", e);
    }
  }
}
