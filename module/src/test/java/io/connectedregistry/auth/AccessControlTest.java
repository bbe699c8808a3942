package io.connectedregistry.auth;

import static io.connectedregistry.auth.Action.CONTENT_READ;
import static io.connectedregistry.auth.Action.CONTENT_WRITE;
import static io.connectedregistry.auth.Action.METADATA_READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.auth.LoginException.Kind;
import io.connectedregistry.config.RegistryConfig.AuthConfig.Anonymous;
import io.connectedregistry.config.RegistryConfig.Mode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessControlTest {

  private static final String ADDRESS = "192.0.2.7";

  /** A clock the test moves by hand. */
  static final class MutableClock extends Clock {
    Instant now = Instant.parse("2026-06-01T10:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @TempDir Path data;
  private final MutableClock clock = new MutableClock();
  private final PasswordHasher hasher = new PasswordHasher(1_000);
  private AuthStore store;
  private String pullerPassword;
  private String pusherPassword;

  @BeforeEach
  void setUp() {
    store = AuthStore.open(data, Mode.ReadWrite, Limits.DEFAULTS, hasher, clock);
    store.createScopeMap(new ScopeMap("pull-app", "", List.of(
        ScopeMapRule.of("app/*", CONTENT_READ, METADATA_READ))));
    store.createScopeMap(new ScopeMap("push-app", "", List.of(
        ScopeMapRule.of("app/*", CONTENT_READ, METADATA_READ, CONTENT_WRITE))));
    store.createToken("puller", "pull-app", TokenStatus.ENABLED);
    store.createToken("pusher", "push-app", TokenStatus.ENABLED);
    pullerPassword = store.generatePassword("puller", PasswordSlot.PASSWORD1, Optional.empty()).password();
    pusherPassword = store.generatePassword("pusher", PasswordSlot.PASSWORD1,
        Optional.of(clock.now.plusSeconds(60))).password();
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  private AccessControl access(Anonymous anonymous, int failuresPerMinute) {
    return new AccessControl(store, new Authenticator(store, hasher),
        TokenService.open(data, Duration.ofMinutes(5)), new LoginThrottle(failuresPerMinute),
        anonymous, List.of("pusher"), clock);
  }

  private static String basic(String name, String password) {
    return "Basic " + Base64.getEncoder().encodeToString(
        (name + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void noHeaderIsAnonymousWithThePolicysActions() {
    assertEquals(Action.repositoryActions(),
        access(Anonymous.FULL, 10).cached(null).orElseThrow().allowed("x"));
    assertEquals(Set.of(CONTENT_READ, METADATA_READ),
        access(Anonymous.PULL, 10).cached("").orElseThrow().allowed("x"));
    Principal none = access(Anonymous.NONE, 10).cached(null).orElseThrow();
    assertEquals(Set.of(), none.allowed("x"));
    assertFalse(none.mayListCatalog());
  }

  @Test
  void basicLoginIsVerifiedOnceThenServedFromMemory() {
    AccessControl access = access(Anonymous.NONE, 10);
    String header = basic("puller", pullerPassword);
    assertTrue(access.cached(header).isEmpty(), "first sight needs a worker");

    Principal principal = access.resolve(header, ADDRESS);
    assertEquals(Set.of(CONTENT_READ, METADATA_READ), principal.allowed("app/web"));
    assertEquals(Set.of(), principal.allowed("other/x"));
    assertEquals(principal, access.cached(header).orElseThrow());
  }

  @Test
  void wrongPasswordIsRefusedAndNeverCached() {
    AccessControl access = access(Anonymous.FULL, 10);
    String header = basic("puller", pullerPassword + "x");
    LoginException e = assertThrows(LoginException.class, () -> access.resolve(header, ADDRESS));
    assertEquals(Kind.UNAUTHENTICATED, e.kind());
    assertFalse(e.getMessage().contains(pullerPassword), "no password in messages");
    assertTrue(access.cached(header).isEmpty());
    assertThrows(LoginException.class, () -> access.resolve("Basic !!!", ADDRESS));
    assertThrows(LoginException.class, () -> access.resolve("Digest abc", ADDRESS));
  }

  @Test
  void failedLoginsThrottleTheAddressButNotCachedClients() {
    AccessControl access = access(Anonymous.NONE, 2);
    String good = basic("puller", pullerPassword);
    access.resolve(good, ADDRESS);
    for (int i = 0; i < 2; i++) {
      assertEquals(Kind.UNAUTHENTICATED, assertThrows(LoginException.class,
          () -> access.resolve(basic("puller", "guess"), ADDRESS)).kind());
    }
    assertEquals(Kind.THROTTLED, assertThrows(LoginException.class,
        () -> access.resolve(basic("pusher", pusherPassword), ADDRESS)).kind(),
        "even a right password is not checked from a throttled address");
    assertTrue(access.cached(good).isPresent(), "a verified client is not slowed");
    access.resolve(basic("pusher", pusherPassword), "192.0.2.8");
  }

  @Test
  void storeChangesDropCachedLogins() {
    AccessControl access = access(Anonymous.NONE, 10);
    String header = basic("puller", pullerPassword);
    access.resolve(header, ADDRESS);
    assertFalse(access.checkForChanges());

    store.disable("puller");
    assertTrue(access.checkForChanges());
    assertTrue(access.cached(header).isEmpty());
    assertThrows(LoginException.class, () -> access.resolve(header, ADDRESS));
  }

  @Test
  void cachedLoginEndsWhenThePasswordExpires() {
    AccessControl access = access(Anonymous.NONE, 10);
    String header = basic("pusher", pusherPassword);
    access.resolve(header, ADDRESS);
    clock.now = clock.now.plusSeconds(59);
    assertTrue(access.cached(header).isPresent());
    clock.now = clock.now.plusSeconds(1);
    assertTrue(access.cached(header).isEmpty());
    assertThrows(LoginException.class, () -> access.resolve(header, ADDRESS));
  }

  @Test
  void bearerTokenGrantsTheIntersectionAndFollowsTheTokensCurrentState() {
    AccessControl access = access(Anonymous.NONE, 10);
    Principal login = access.resolve(basic("puller", pullerPassword), ADDRESS);
    String jwt = access.issue(login,
        Scope.parse(List.of("repository:app/web:pull,push", "repository:other/x:pull")), "svc")
        .token();
    Principal bearer = access.resolve("Bearer " + jwt, ADDRESS);
    assertInstanceOf(Principal.Bearer.class, bearer);
    assertEquals(Set.of(CONTENT_READ, METADATA_READ), bearer.allowed("app/web"), "no push granted");
    assertEquals(Set.of(), bearer.allowed("other/x"));
    assertEquals(Set.of(), bearer.allowed("app/api"), "not in the token's scopes");
    assertEquals(Set.of(CONTENT_READ, METADATA_READ), bearer.obtainable("app/api"),
        "but obtainable: the client is challenged for a wider token, not denied");
    assertTrue(access.cached("Bearer " + jwt).isPresent());

    store.updateScopeMap(new ScopeMap("pull-app", "", List.of(ScopeMapRule.of("app/*", METADATA_READ))));
    access.checkForChanges();
    assertEquals(Set.of(METADATA_READ), access.resolve("Bearer " + jwt, ADDRESS).allowed("app/web"));

    store.disable("puller");
    access.checkForChanges();
    assertEquals(Kind.INVALID_TOKEN, assertThrows(LoginException.class,
        () -> access.resolve("Bearer " + jwt, ADDRESS)).kind());
  }

  @Test
  void refreshTokenReissuesForTheCurrentToken() {
    AccessControl access = access(Anonymous.NONE, 10);
    Principal.Basic login = access.login("puller", pullerPassword, ADDRESS);
    String refresh = access.issueRefresh(login, "svc").token();
    Principal again = access.refresh(refresh, ADDRESS);
    assertEquals("puller", again.tokenName());
    store.deleteToken("puller");
    assertThrows(LoginException.class, () -> access.refresh(refresh, ADDRESS));
    assertThrows(LoginException.class, () -> access.refresh("garbage", ADDRESS));
  }

  @Test
  void aRefreshTokenDiesWithThePasswordItCameFrom() {
    AccessControl access = access(Anonymous.NONE, 10);
    String second = store.generatePassword("puller", PasswordSlot.PASSWORD2, Optional.empty()).password();
    String fromFirst = access.issueRefresh(access.login("puller", pullerPassword, ADDRESS), "svc").token();
    String fromSecond = access.issueRefresh(access.login("puller", second, ADDRESS), "svc").token();
    assertEquals("puller", access.refresh(fromFirst, ADDRESS).tokenName());
    assertEquals("puller", access.refresh(fromSecond, ADDRESS).tokenName());

    store.generatePassword("puller", PasswordSlot.PASSWORD1, Optional.empty());
    assertEquals(Kind.UNAUTHENTICATED, assertThrows(LoginException.class,
        () -> access.refresh(fromFirst, ADDRESS), "password 1 was regenerated").kind());
    assertEquals("puller", access.refresh(fromSecond, ADDRESS).tokenName(),
        "password 2 is untouched, so is its refresh token");

    store.deletePassword("puller", PasswordSlot.PASSWORD2);
    assertThrows(LoginException.class, () -> access.refresh(fromSecond, ADDRESS),
        "password 2 was deleted");
  }

  @Test
  void aRefreshTokenEndsWhenItsPasswordExpires() {
    AccessControl access = access(Anonymous.NONE, 10);
    String refresh = access.issueRefresh(access.login("pusher", pusherPassword, ADDRESS), "svc").token();
    clock.now = clock.now.plusSeconds(59);
    assertEquals("pusher", access.refresh(refresh, ADDRESS).tokenName());
    clock.now = clock.now.plusSeconds(1);
    assertThrows(LoginException.class, () -> access.refresh(refresh, ADDRESS));
  }

  /** A Bearer token carries repository scopes only; the admin API wants the admin's password. */
  @Test
  void aBearerTokenOfAnAdminTokenIsNotAnAdmin() {
    AccessControl access = access(Anonymous.NONE, 10);
    Principal admin = access.resolve(basic("pusher", pusherPassword), ADDRESS);
    assertTrue(access.isAdmin(admin));
    String jwt = access.issue(admin, Scope.parse(List.of("repository:app/web:pull")), "svc").token();
    Principal bearer = access.resolve("Bearer " + jwt, ADDRESS);
    assertEquals("pusher", bearer.tokenName());
    assertFalse(access.isAdmin(bearer));
  }

  @Test
  void onlyNamedTokensAreAdmins() {
    AccessControl access = access(Anonymous.FULL, 10);
    assertTrue(access.isAdmin(access.resolve(basic("pusher", pusherPassword), ADDRESS)));
    assertFalse(access.isAdmin(access.resolve(basic("puller", pullerPassword), ADDRESS)));
    assertFalse(access.isAdmin(access.anonymous()));
  }
}
