package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.Expect.status;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A data folder written by release 0.1.0 (the fixture {@code fixtures/data-0.1.0}, see its README:
 * both databases at {@code user_version} 0) is opened by this release: its image is served, its
 * token logs in, its change log is still there (its changes of unknown origin, never pushed up by
 * a ReadWrite registry), and the databases are at this release's schema versions afterwards. A database newer than this release knows is refused, naming the file and both versions.
 */
class SchemaUpgradeTest {

  private static final String MANIFEST = "sha256:c253b52b80871c1ea3c7520493d20e86df28f5992530312ed768b9179ea1dbaf";
  private static final String CONFIG = "sha256:d266bd1f7d81a57fe7bfecf3a1a10b09eecb6346655fc5b9c0107edb7c4296ec";
  private static final String LAYER = "sha256:a9aa41182e71e1d948347f7befc372dacbbf4f20bc6743ea4843df170e45632f";
  private static final AuthSupport.Credentials READER =
      new AuthSupport.Credentials("fixture-reader", "u8JxFimTy4d-VNjngdp-e19SCyDFNEKEDhKvH2_OdHw");
  /**
   * The newest schema versions this release knows: metadata.db gained the change log's origin in
   * 2 and its store id in 3, auth.db the connected-registry definitions in 2 and the instances, reported upstream
   * queues and tokens mirrored from a parent in 3.
   */
  private static final int CURRENT_METADATA = 3;
  private static final int CURRENT_AUTH = 3;

  private RegistryProcess registry;

  @AfterEach
  void stop() {
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void aDataFolderOfRelease010IsOpenedServedAndUpgradedToTheCurrentSchema() throws Exception {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "the fixture is this registry's own data folder");
    registry = RegistryProcess.prepare("schema-upgrade");
    unpackFixture(registry.dataDir());
    assertEquals(0, userVersion(registry.dataDir().resolve("metadata.db")), "the fixture predates schema versions");
    assertEquals(0, userVersion(registry.dataDir().resolve("auth.db")), "the fixture predates schema versions");
    registry.start();
    RegistryClient client = new RegistryClient(registry);

    Response manifest = status(client.get("/v2/fixture/app/manifests/v1",
        "Accept", "application/vnd.oci.image.manifest.v1+json"), 200);
    assertEquals(MANIFEST, Digests.sha256(manifest.body()), manifest::describe);
    for (String blob : List.of(CONFIG, LAYER)) {
      Response r = status(client.get("/v2/fixture/app/blobs/" + blob), 200);
      assertEquals(blob, Digests.sha256(r.body()), r::describe);
    }

    // The token made by the 0.1.0 CLI logs in (Basic, and the token endpoint) and reads.
    Response tags = status(client.get("/v2/fixture/app/tags/list", READER.header()), 200);
    assertEquals("v1", tags.json().path("tags").path(0).asText(), tags::describe);
    Response token = status(client.get("/oauth2/token?service=registry&scope=repository:fixture/app:pull",
        READER.header()), 200);
    assertFalse(token.json().path("token").asText().isEmpty(), token::describe);
    status(client.get("/v2/fixture/app/tags/list", READER.withPassword("not-the-password").header()), 401);

    // The change log of 0.1.0 is served after the upgrade, and the next change follows it.
    JsonNode feed = status(client.get("/_connected/v1/changes?after=0"), 200).json();
    assertEquals(2, feed.path("changes").size(), feed::toString);
    assertTrue(feed.path("store").asText().matches("[0-9a-f]{32}"), () -> "the upgraded store got an id: " + feed);
    assertEquals("manifest_put", feed.path("changes").path(0).path("action").asText(), feed::toString);
    assertEquals("tag_set", feed.path("changes").path(1).path("action").asText(), feed::toString);
    client.pushManifest("fixture/app", "v2", "application/vnd.oci.image.manifest.v1+json", manifest.body());
    JsonNode next = status(client.get("/_connected/v1/changes?after=2"), 200).json();
    assertEquals(3, next.path("changes").path(0).path("sequence").asLong(), next::toString);
    assertEquals("v2", next.path("changes").path(0).path("tag").asText(), next::toString);
    registry.stop();

    assertEquals(CURRENT_METADATA, userVersion(registry.dataDir().resolve("metadata.db")), "metadata.db after the upgrade");
    assertEquals(CURRENT_AUTH, userVersion(registry.dataDir().resolve("auth.db")), "auth.db after the upgrade");
    assertEquals(List.of("null", "null", "client"), origins(registry.dataDir().resolve("metadata.db")),
        "0.1.0's changes have no origin; the change made after the upgrade is a client's");
    registry.start();
    status(client.get("/v2/fixture/app/tags/list", READER.header()), 200);
  }

  @Test
  void aMetadataDatabaseNewerThanThisReleaseIsRefusedNamingTheFileAndVersions() throws Exception {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "the fixture is this registry's own data folder");
    registry = RegistryProcess.prepare("schema-too-new-metadata");
    unpackFixture(registry.dataDir());
    Path database = registry.dataDir().resolve("metadata.db");
    setUserVersion(database, 99);

    Command.Result r = RegistryProcess.runJar(30, "--listen", registry.hostPort(), "--data",
        registry.dataDir().toString());

    assertRefused(r, database, CURRENT_METADATA);
    assertEquals(-1, registry.probe("/healthz"), "nothing should be listening");
    assertEquals(99, userVersion(database), "a refused database is left as it was");
  }

  @Test
  void anAuthDatabaseNewerThanThisReleaseIsRefusedByTheServerAndTheTokenCommand() throws Exception {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "the fixture is this registry's own data folder");
    registry = RegistryProcess.prepare("schema-too-new-auth");
    unpackFixture(registry.dataDir());
    Path database = registry.dataDir().resolve("auth.db");
    setUserVersion(database, 99);

    Command.Result serve = RegistryProcess.runJar(30, "--listen", registry.hostPort(), "--data",
        registry.dataDir().toString());
    assertRefused(serve, database, CURRENT_AUTH);
    assertEquals(-1, registry.probe("/healthz"), "nothing should be listening");

    Command.Result cli = AuthSupport.cli(registry, "token", "list");
    assertRefused(cli, database, CURRENT_AUTH);
    assertEquals(99, userVersion(database), "a refused database is left as it was");
  }

  private static void assertRefused(Command.Result r, Path database, int current) {
    assertNotEquals(0, r.exitCode(), r::describe);
    String output = r.stdout() + r.stderr();
    assertTrue(output.contains(database.toString()), () -> "the message should name " + database + ": " + r.describe());
    assertTrue(output.contains("schema version 99"), () -> "the message should name the file's version: " + r.describe());
    assertTrue(output.contains("up to " + current), () -> "the message should name the newest known version: " + r.describe());
  }

  private static void unpackFixture(Path data) throws IOException, URISyntaxException {
    Path archive = Path.of(SchemaUpgradeTest.class.getResource("/fixtures/data-0.1.0/data.tar.gz").toURI());
    Files.createDirectories(data);
    Command.run(List.of("tar", "-xzf", archive.toString(), "-C", data.toString())).assertOk();
  }

  private static List<String> origins(Path database) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + database);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT origin FROM changes ORDER BY seq")) {
      List<String> found = new java.util.ArrayList<>();
      while (rs.next()) {
        found.add(String.valueOf(rs.getString(1)));
      }
      return found;
    }
  }

  private static int userVersion(Path database) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + database);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA user_version")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static void setUserVersion(Path database, int version) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + database);
        Statement s = c.createStatement()) {
      s.execute("PRAGMA user_version = " + version);
    }
  }
}
