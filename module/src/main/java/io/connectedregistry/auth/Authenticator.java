package io.connectedregistry.auth;

import io.connectedregistry.config.RegistryConfig.Mode;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Checks a token name and password against the {@link AuthStore}. The result says why a login
 * failed so it can be logged and tested, but the HTTP layer must answer every {@link Refused} with
 * the same 401 and must not tell the client which reason applied.
 *
 * <p>Slow (it runs PBKDF2, see {@link PasswordHasher}): call it on a worker, and cache successes.
 */
public final class Authenticator {

  /** Why a login was refused. */
  public enum Reason {
    UNKNOWN_TOKEN,
    DISABLED,
    WRONG_PASSWORD,
    PASSWORD_EXPIRED
  }

  public sealed interface Result permits Authenticated, Refused {}

  /**
   * A successful login: the token and the scope map it had at that moment. On a ReadOnly registry
   * only read actions are ever allowed, even from a scope map defined before the mode changed.
   *
   * @param password the password that matched; null when the token was looked up without one
   *     ({@link #current})
   */
  public record Authenticated(Token token, ScopeMap scopeMap, boolean readOnly, TokenPassword password)
      implements Result {
    public Set<Action> allowed(String repository) {
      Set<Action> granted = scopeMap.allowed(repository);
      if (!readOnly) {
        return granted;
      }
      EnumSet<Action> reads = EnumSet.noneOf(Action.class);
      granted.stream().filter(Action::isRead).forEach(reads::add);
      return Collections.unmodifiableSet(reads);
    }

    /**
     * Gateway actions on a connected registry, whatever the mode: a ReadOnly registry's children
     * still read their definitions and report their status.
     */
    public boolean allowsGateway(String registry, Action action) {
      return scopeMap.allowsGateway(registry, action);
    }

    /** When the password used expires (null: never, or no password); a cached login must not outlive it. */
    public Instant validUntil() {
      return password == null ? null : password.expires().orElse(null);
    }
  }

  public record Refused(Reason reason) implements Result {}

  private final AuthStore store;
  private final PasswordHasher hasher;
  /** Verified in place of missing passwords, so timing does not tell which token names exist. */
  private final PasswordHash decoy;

  public Authenticator(AuthStore store, PasswordHasher hasher) {
    this.store = Objects.requireNonNull(store, "store");
    this.hasher = Objects.requireNonNull(hasher, "hasher");
    this.decoy = hasher.decoy();
  }

  /**
   * Every call costs the same number of PBKDF2 runs, one per password slot, whether the name is
   * unknown, the token has one password or two, or the password is right: otherwise the response
   * time would tell a guesser which token names exist and how many passwords they hold.
   */
  public Result authenticate(String name, String password, Instant now) {
    Optional<Token> found = name == null ? Optional.empty() : store.token(name);
    String guess = password == null ? "" : password;
    List<TokenPassword> passwords = found.map(Token::passwords).orElse(List.of());
    // Check the password before the status so a disabled token costs a guesser the same time.
    TokenPassword matched = null;
    boolean matchedExpired = false;
    for (TokenPassword p : passwords) {
      if (hasher.verify(guess, p.hash())) {
        if (p.expiredAt(now)) {
          matchedExpired = true;
        } else if (matched == null) {
          matched = p;
        }
      }
    }
    for (int run = passwords.size(); run < PasswordSlot.values().length; run++) {
      hasher.verify(guess, decoy);
    }
    if (found.isEmpty() || password == null) {
      return new Refused(Reason.UNKNOWN_TOKEN);
    }
    Token token = found.get();
    if (!token.enabled()) {
      return new Refused(Reason.DISABLED);
    }
    if (matched == null) {
      return new Refused(matchedExpired ? Reason.PASSWORD_EXPIRED : Reason.WRONG_PASSWORD);
    }
    Optional<ScopeMap> scopeMap = store.scopeMap(token.scopeMapName());
    if (scopeMap.isEmpty()) {
      // Cannot happen through the store (a map in use cannot be deleted); refuse rather than guess.
      return new Refused(Reason.UNKNOWN_TOKEN);
    }
    return new Authenticated(token, scopeMap.get(), store.mode() == Mode.ReadOnly, matched);
  }

  /**
   * The token as it is now, without a password: for a Bearer token or a refresh token that was
   * issued after a password check, so that disabling or deleting the token, or narrowing its scope
   * map, takes effect at once. Fast (no hashing); still reads the store, so call it on a worker.
   */
  public Result current(String name) {
    Optional<Token> found = store.token(name);
    if (found.isEmpty()) {
      return new Refused(Reason.UNKNOWN_TOKEN);
    }
    if (!found.get().enabled()) {
      return new Refused(Reason.DISABLED);
    }
    Optional<ScopeMap> scopeMap = store.scopeMap(found.get().scopeMapName());
    if (scopeMap.isEmpty()) {
      return new Refused(Reason.UNKNOWN_TOKEN);
    }
    return new Authenticated(found.get(), scopeMap.get(), store.mode() == Mode.ReadOnly, null);
  }
}
