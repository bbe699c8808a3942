package io.connectedregistry.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.auth.Action;
import io.connectedregistry.auth.AuthAdministration;
import io.connectedregistry.auth.AuthStore;
import io.connectedregistry.auth.AuthStoreException;
import io.connectedregistry.auth.Authenticator;
import io.connectedregistry.auth.Limits;
import io.connectedregistry.auth.ParentMirror;
import io.connectedregistry.auth.PasswordHasher;
import io.connectedregistry.auth.PasswordSlot;
import io.connectedregistry.auth.ScopeMap;
import io.connectedregistry.auth.ScopeMapRule;
import io.connectedregistry.auth.TokenStatus;
import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.control.ConnectedRegistryDefinition.Reported;
import io.connectedregistry.status.Activation;
import io.connectedregistry.status.ConnectionState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The root's side of the control plane (activation, tokens document) and what a connected
 * registry does with its parent's documents (mirror, subtree for its children, bounds).
 */
class ControlPlaneDocumentsTest {

  private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  @TempDir Path rootData;
  @TempDir Path siteData;
  private final PasswordHasher hasher = new PasswordHasher(1_000);
  private AuthStore root;
  private AuthStore site;

  @AfterEach
  void close() {
    for (AuthStore s : new AuthStore[] {root, site}) {
      if (s != null) {
        s.close();
      }
    }
  }

  /** root → factory1 (ReadWrite) → line3 (ReadOnly, client token reader1); passwords made. */
  private ConnectedRegistries tree() {
    root = AuthStore.open(rootData, Mode.ReadWrite, Limits.DEFAULTS, hasher, CLOCK);
    root.createScopeMap(new ScopeMap("reader1-map", "", List.of(
        ScopeMapRule.of("app/*", Action.CONTENT_READ, Action.METADATA_READ))));
    root.createToken("reader1", "reader1-map", TokenStatus.ENABLED);
    root.generatePassword("reader1", PasswordSlot.PASSWORD1, Optional.empty());
    ConnectedRegistries r = new ConnectedRegistries(root,
        new ConnectedRegistries.Site(null, () -> null), CLOCK);
    r.create(new Requests.Create("factory1", "ReadWrite", null, List.of("app/*"), List.of(),
        null, null, null, null));
    r.create(new Requests.Create("line3", null, "factory1", List.of("app/web"),
        List.of("reader1"), null, null, null, null));
    root.generatePassword("line3-sync-token", PasswordSlot.PASSWORD1, Optional.empty());
    return r;
  }

  @Test
  void activationIsIdempotentForOneInstanceRefusedForAnotherAndReopenedByDeactivate() {
    ConnectedRegistries r = tree();
    var first = new ControlRequests.Activate("instance-1111", "1.0", "f1.local:5000");
    assertEquals("Active", r.activate("factory1", first).get("activation"));
    long version = (Long) r.show("factory1").get("definitionVersion");
    assertEquals("Active", r.activate("factory1", first).get("activation"), "same instance again");
    assertEquals(version, r.show("factory1").get("definitionVersion"), "nothing changed");
    assertEquals("f1.local:5000", r.show("factory1").get("loginServer"));

    ControlException refused = assertThrows(ControlException.class, () -> r.activate("factory1",
        new ControlRequests.Activate("instance-2222", null, null)));
    assertEquals(ControlException.Kind.CONFLICT, refused.kind());
    assertTrue(refused.getMessage().startsWith("activation refused: connected registry"
        + " 'factory1' is already active with another instance (since "), refused.getMessage());

    r.deactivate("factory1");
    assertThrows(ControlException.class, () -> r.activate("factory1", first),
        "the deactivated instance stays out");
    assertEquals("Active", r.activate("factory1",
        new ControlRequests.Activate("instance-2222", null, null)).get("activation"),
        "a new instance may activate");

    // Only the active instance reports.
    ControlException stranger = assertThrows(ControlException.class, () -> r.report("factory1",
        new ControlRequests.Report(ConnectionState.Online, null, null, 0, 0, List.of(), null, null,
            "instance-1111")));
    assertTrue(stranger.getMessage().contains("not the active instance"), stranger.getMessage());
    r.report("factory1", new ControlRequests.Report(ConnectionState.Syncing, null, null, 0, 0,
        List.of(), null, null, "instance-2222"));
    assertEquals("Syncing", r.show("factory1").get("connectionState"));
  }

  @Test
  void aReportIsDatedByTheRootAndDoesNotTouchActivation() {
    ConnectedRegistries r = tree();
    r.deactivate("line3");
    r.report("line3", new ControlRequests.Report(ConnectionState.Online, Activation.Active, NOW,
        0, 0, List.of(), "1.0", null, null));
    Map<String, Object> shown = r.show("line3");
    assertEquals("Inactive", shown.get("activation"));
    assertEquals(NOW.toString(), shown.get("lastActivityTime"));
    assertEquals("Online", shown.get("connectionState"));
  }

  @Test
  void aRegistrySilentLongerThanItsScheduleAllowsIsShownOffline() {
    ConnectedRegistryDefinition d = tree().definition("line3").withReported(new Reported(
        Activation.Active, ConnectionState.Online, NOW, null, null, List.of(), null));
    assertEquals(Duration.ofMinutes(3), Liveness.threshold(d), "3 × the minute of * * * * *");
    assertEquals(ConnectionState.Online,
        Liveness.apply(d, NOW.plusSeconds(179)).reported().connectionState());
    assertEquals(ConnectionState.Offline,
        Liveness.apply(d, NOW.plusSeconds(181)).reported().connectionState());
    ConnectedRegistryDefinition hourly = d.withSettings(new ConnectedRegistryDefinition.Sync(
        "0 * * * *", Duration.ofHours(1), Duration.ofDays(2)), d.logLevel(), d.garbageCollection());
    assertEquals(Duration.ofHours(4), Liveness.threshold(hourly), "3 hours + the window");
  }

  @Test
  void theTokensDocumentHoldsHashesAndASiteInstallsItsPartWhole() {
    ConnectedRegistries r = tree();
    JsonObject document = r.tokensDocument("factory1");
    String text = document.encode();
    assertTrue(text.contains("pbkdf2-sha256$"), text);
    assertFalse(text.contains("\"password\""), text);

    // factory1 installs line3's sync token (it has no client tokens of its own).
    site = AuthStore.open(siteData, Mode.ReadWrite, Limits.DEFAULTS, hasher, CLOCK);
    site.createScopeMap(new ScopeMap("site-admin-map", "", List.of(
        ScopeMapRule.of("*", Action.CONTENT_READ))));
    site.createToken("site-admin", "site-admin-map", TokenStatus.ENABLED);
    ParentMirror.Contents contents = TokenDocument.contents(document, "factory1", "http://root");
    assertEquals(List.of("line3-sync-token"), contents.tokens().stream().map(t -> t.name()).toList());
    ParentMirror.install(site, contents, CLOCK);
    assertTrue(site.token("line3-sync-token").isPresent());
    assertTrue(site.token("site-admin").isPresent(), "a local token made before stays");
    assertTrue(site.scopeMap("line3-sync-scope-map").orElseThrow()
        .allowsGateway("line3", Action.CONFIG_READ));

    // Local token commands now refuse, naming the parent.
    AuthAdministration admin = new AuthAdministration(site, CLOCK);
    AuthStoreException e = assertThrows(AuthStoreException.class, () -> admin.createToken("x1",
        List.of(ScopeMapRule.of("app/*", Action.CONTENT_READ)), null, Optional.empty()));
    assertTrue(e.getMessage().contains("http://root") && e.getMessage().contains("factory1"),
        e.getMessage());
    assertThrows(AuthStoreException.class, () -> admin.deleteToken("line3-sync-token"));

    // The next set replaces the mirrored one whole: a token the parent dropped goes.
    ParentMirror.install(site, new ParentMirror.Contents("factory1", "http://root", List.of(),
        List.of()), CLOCK);
    assertTrue(site.token("line3-sync-token").isEmpty());
    assertTrue(site.token("site-admin").isPresent());

    // For line3, factory1 serves the part about line3: its client token, no sync token.
    JsonObject forLine3 = TokenDocument.subtree(document, "line3");
    ParentMirror.Contents line3 = TokenDocument.contents(forLine3, "line3", "http://factory1");
    assertEquals(List.of("reader1"), line3.tokens().stream().map(t -> t.name()).toList());
    assertNull(TokenDocument.subtree(document, "factory2"));
  }

  @Test
  void aMirroredHashLogsInLocally() {
    ConnectedRegistries r = tree();
    String password = (String) new AuthAdministration(root, CLOCK)
        .generatePassword("reader1", PasswordSlot.PASSWORD2, Optional.empty()).get("password");
    JsonObject forLine3 = TokenDocument.subtree(r.tokensDocument("factory1"), "line3");
    site = AuthStore.open(siteData, Mode.ReadOnly, Limits.DEFAULTS, hasher, CLOCK);
    ParentMirror.install(site, TokenDocument.contents(forLine3, "line3", "http://f1"), CLOCK);
    assertTrue(new Authenticator(site, hasher).authenticate("reader1", password, NOW)
        instanceof Authenticator.Authenticated);
    assertFalse(new Authenticator(site, hasher).authenticate("reader1", "wrong", NOW)
        instanceof Authenticator.Authenticated);
  }

  @Test
  void aHostileParentsTokensDocumentIsRefusedWhole() {
    ConnectedRegistries r = tree();
    JsonObject good = TokenDocument.subtree(r.tokensDocument("factory1"), "line3");
    // A hash whose iteration count would make every login cost minutes.
    JsonObject slow = good.copy();
    JsonObject password = slow.getJsonArray("tokens").getJsonObject(0).getJsonArray("passwords")
        .getJsonObject(0);
    password.put("hash", password.getString("hash").replaceFirst("\\$\\d+\\$", "\\$999999999\\$"));
    assertThrows(IllegalArgumentException.class,
        () -> TokenDocument.contents(slow, "line3", "http://f1"));
    // A token without its scope map, a bad name, a document about someone else.
    JsonObject noMap = good.copy().put("scopeMaps", new JsonArray());
    assertThrows(IllegalArgumentException.class,
        () -> TokenDocument.contents(noMap, "line3", "http://f1"));
    JsonObject badName = good.copy();
    badName.getJsonArray("tokens").getJsonObject(0).put("name", "../etc");
    badName.getJsonArray("registries").getJsonObject(0).put("clientTokens",
        new JsonArray().add("../etc"));
    assertThrows(IllegalArgumentException.class,
        () -> TokenDocument.contents(badName, "line3", "http://f1"));
    assertThrows(IllegalArgumentException.class,
        () -> TokenDocument.contents(good, "factory1", "http://f1"));
    assertThrows(IllegalArgumentException.class,
        () -> TokenDocument.contents(new JsonObject().put("registries", "x"), "line3", "x"));
  }
}
