package io.connectedregistry.auth;

import io.connectedregistry.config.RegistryConfig.Mode;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumSet;
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
   */
  public record Authenticated(Token token, ScopeMap scopeMap, boolean readOnly) implements Result {
    public Set<Action> allowed(String repository) {
      Set<Action> granted = scopeMap.allowed(repository);
      if (!readOnly) {
        return granted;
      }
      EnumSet<Action> reads = EnumSet.noneOf(Action.class);
      granted.stream().filter(Action::isRead).forEach(reads::add);
      return Collections.unmodifiableSet(reads);
    }
  }

  public record Refused(Reason reason) implements Result {}

  private final AuthStore store;
  private final PasswordHasher hasher;
  /** Verified when the token is unknown, so timing does not tell which token names exist. */
  private final PasswordHash decoy;

  public Authenticator(AuthStore store, PasswordHasher hasher) {
    this.store = Objects.requireNonNull(store, "store");
    this.hasher = Objects.requireNonNull(hasher, "hasher");
    this.decoy = hasher.hash(hasher.generatePassword());
  }

  public Result authenticate(String name, String password, Instant now) {
    Optional<Token> found = name == null ? Optional.empty() : store.token(name);
    if (found.isEmpty() || password == null) {
      hasher.verify(password == null ? "" : password, decoy);
      return new Refused(Reason.UNKNOWN_TOKEN);
    }
    Token token = found.get();
    // Check the password before the status so a disabled token costs a guesser the same time.
    boolean matchedExpired = false;
    boolean matched = false;
    for (TokenPassword p : token.passwords()) {
      if (hasher.verify(password, p.hash())) {
        if (p.expiredAt(now)) {
          matchedExpired = true;
        } else {
          matched = true;
        }
      }
    }
    if (token.passwords().isEmpty()) {
      hasher.verify(password, decoy);
    }
    if (!token.enabled()) {
      return new Refused(Reason.DISABLED);
    }
    if (!matched) {
      return new Refused(matchedExpired ? Reason.PASSWORD_EXPIRED : Reason.WRONG_PASSWORD);
    }
    Optional<ScopeMap> scopeMap = store.scopeMap(token.scopeMapName());
    if (scopeMap.isEmpty()) {
      // Cannot happen through the store (a map in use cannot be deleted); refuse rather than guess.
      return new Refused(Reason.UNKNOWN_TOKEN);
    }
    return new Authenticated(token, scopeMap.get(), store.mode() == Mode.ReadOnly);
  }
}
