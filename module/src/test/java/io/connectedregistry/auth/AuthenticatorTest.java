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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  /** The real hasher, counting the PBKDF2 runs of {@link #verify} and {@link #hash}. */
  static final class CountingHasher extends PasswordHasher {
    int verifications;
    int hashes;

    CountingHasher() {
      super(1_000);
    }

    @Override
    public boolean verify(String password, PasswordHash stored) {
      verifications++;
      return super.verify(password, stored);
    }

    @Override
    public PasswordHash hash(String password) {
      hashes++;
      return super.hash(password);
    }
  }

  /**
   * The decoy stands in for missing passwords, but deriving it at start-up cost the registry a
   * whole PBKDF2 run (210,000 iterations, seconds before the JIT compiles HMAC) before it could
   * answer; a random hash with the same parameters costs a guesser the same and nothing at start.
   */
  @Test
  void creatingAnAuthenticatorRunsNoPbkdf2() {
    CountingHasher counting = new CountingHasher();
    new Authenticator(store, counting);
    assertEquals(0, counting.hashes + counting.verifications, "PBKDF2 runs when created");
  }

  /**
   * Timing must not tell which token names exist or how many passwords a token has: every login
   * costs as many PBKDF2 runs as a token with both slots filled, right or wrong.
   */
  @Test
  void everyLoginCostsTwoPbkdf2RunsWhateverTheNameAndSlots() {
    CountingHasher counting = new CountingHasher();
    Authenticator timed = new Authenticator(store, counting);
    store.createToken("one-slot", "app-readers", TokenStatus.ENABLED);
    String one = store.generatePassword("one-slot", PasswordSlot.PASSWORD1, Optional.empty()).password();
    store.createToken("two-slots", "app-readers", TokenStatus.ENABLED);
    String first = store.generatePassword("two-slots", PasswordSlot.PASSWORD1, Optional.empty()).password();
    store.generatePassword("two-slots", PasswordSlot.PASSWORD2, Optional.empty());
    store.createToken("second-only", "app-readers", TokenStatus.DISABLED);
    store.generatePassword("second-only", PasswordSlot.PASSWORD2, Optional.empty());

    record Attempt(String what, String name, String password) {}
    List<Attempt> attempts = List.of(
        new Attempt("unknown name", "nobody-here", "guess"),
        new Attempt("no name, no password", null, null),
        new Attempt("token without passwords", "puller", "guess"),
        new Attempt("one slot, wrong password", "one-slot", "guess"),
        new Attempt("one slot, right password", "one-slot", one),
        new Attempt("two slots, wrong password", "two-slots", "guess"),
        new Attempt("two slots, right password", "two-slots", first),
        new Attempt("disabled, slot 2 only", "second-only", "guess"));
    Map<String, Integer> runs = new LinkedHashMap<>();
    Map<String, Integer> expected = new LinkedHashMap<>();
    for (Attempt a : attempts) {
      counting.verifications = 0;
      timed.authenticate(a.name(), a.password(), NOW);
      runs.put(a.what(), counting.verifications);
      expected.put(a.what(), 2);
    }
    assertEquals(expected, runs, "PBKDF2 runs per login attempt");
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
