package io.connectedregistry.auth;

import static io.connectedregistry.auth.Action.CONTENT_READ;
import static io.connectedregistry.auth.Action.METADATA_READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.connectedregistry.auth.Authenticator.Authenticated;
import io.connectedregistry.auth.Authenticator.Reason;
import io.connectedregistry.auth.Authenticator.Refused;
import io.connectedregistry.auth.Authenticator.Result;
import io.connectedregistry.config.RegistryConfig.Mode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthenticatorTest {

  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  @TempDir Path data;
  private final PasswordHasher hasher = new PasswordHasher(1_000);
  private AuthStore store;
  private Authenticator authenticator;

  @BeforeEach
  void setUp() {
    store = AuthStore.open(data, Mode.ReadOnly, Limits.DEFAULTS, hasher, Clock.systemUTC());
    store.createScopeMap(new ScopeMap("app-readers", "", List.of(
        ScopeMapRule.of("app/*", CONTENT_READ), ScopeMapRule.of("*", METADATA_READ))));
    store.createToken("puller", "app-readers", TokenStatus.ENABLED);
    authenticator = new Authenticator(store, hasher);
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  private static Reason refusal(Result r) {
    return assertInstanceOf(Refused.class, r).reason();
  }

  @Test
  void theRightPasswordYieldsTheTokensAllowedActions() {
    String pw = store.generatePassword("puller", PasswordSlot.PASSWORD1, Optional.empty())
        .password();
    Authenticated ok = assertInstanceOf(Authenticated.class,
        authenticator.authenticate("puller", pw, NOW));
    assertEquals(Set.of(CONTENT_READ, METADATA_READ), ok.allowed("app/web"));
    assertEquals(Set.of(METADATA_READ), ok.allowed("other/x"));
  }

  @Test
  void aWrongPasswordIsRefused() {
    store.generatePassword("puller", PasswordSlot.PASSWORD1, Optional.empty());
    assertEquals(Reason.WRONG_PASSWORD, refusal(authenticator.authenticate("puller", "x", NOW)));
  }

  @Test
  void aTokenWithoutPasswordsCannotLogIn() {
    assertEquals(Reason.WRONG_PASSWORD, refusal(authenticator.authenticate("puller", "", NOW)));
  }

  @Test
  void anUnknownTokenIsRefused() {
    assertEquals(Reason.UNKNOWN_TOKEN, refusal(authenticator.authenticate("nobody", "x", NOW)));
    assertEquals(Reason.UNKNOWN_TOKEN, refusal(authenticator.authenticate(null, null, NOW)));
  }

  @Test
  void aDisabledTokenIsRefusedEvenWithTheRightPassword() {
    String pw = store.generatePassword("puller", PasswordSlot.PASSWORD1, Optional.empty())
        .password();
    store.disable("puller");
    assertEquals(Reason.DISABLED, refusal(authenticator.authenticate("puller", pw, NOW)));
    store.enable("puller");
    assertInstanceOf(Authenticated.class, authenticator.authenticate("puller", pw, NOW));
  }

  @Test
  void anExpiredPasswordIsRefusedWhileTheOtherPasswordStillWorks() {
    String old = store.generatePassword("puller", PasswordSlot.PASSWORD1,
        Optional.of(NOW.plusSeconds(3600))).password();
    String fresh = store.generatePassword("puller", PasswordSlot.PASSWORD2, Optional.empty())
        .password();

    // Before the expiry both work: clients can move to password 2 at their own pace.
    assertInstanceOf(Authenticated.class, authenticator.authenticate("puller", old, NOW));
    assertInstanceOf(Authenticated.class, authenticator.authenticate("puller", fresh, NOW));

    Instant later = NOW.plusSeconds(3600);
    assertEquals(Reason.PASSWORD_EXPIRED,
        refusal(authenticator.authenticate("puller", old, later)));
    assertInstanceOf(Authenticated.class, authenticator.authenticate("puller", fresh, later));
  }

  @Test
  void aReadOnlyRegistryAllowsOnlyReadsEvenFromAMapDefinedWhileReadWrite() {
    try (AuthStore readWrite = AuthStore.open(data, Mode.ReadWrite, Limits.DEFAULTS, hasher,
        Clock.systemUTC())) {
      readWrite.createScopeMap(new ScopeMap("app-pushers", "",
          List.of(ScopeMapRule.of("app/*", CONTENT_READ, Action.CONTENT_WRITE))));
      readWrite.setScopeMap("puller", "app-pushers");
    }
    String pw = store.generatePassword("puller", PasswordSlot.PASSWORD1, Optional.empty())
        .password();
    Authenticated ok = assertInstanceOf(Authenticated.class,
        authenticator.authenticate("puller", pw, NOW));
    assertEquals(Set.of(CONTENT_READ), ok.allowed("app/web"));
  }
}
