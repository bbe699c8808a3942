package io.connectedregistry.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.connectedregistry.auth.Authenticator.Authenticated;
import io.connectedregistry.auth.Authenticator.Refused;
import io.connectedregistry.auth.Authenticator.Result;
import io.connectedregistry.auth.LoginException.Kind;
import io.connectedregistry.config.RegistryConfig.AuthConfig.Anonymous;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The auth package's entry point for the HTTP layer: turns a request's {@code Authorization}
 * header into a {@link Principal}, and issues Bearer tokens for {@code /oauth2/token}.
 *
 * <p>Two speeds. {@link #cached} answers from memory and is safe on an event loop: a Basic
 * credential verified before, or a Bearer token seen before, is a map lookup. {@link #resolve}
 * does the slow part (PBKDF2, the auth store) and must run on a worker. Caches hold no password:
 * a Basic credential is keyed by an HMAC of the header under a key that lives only in this
 * process. They are dropped whenever {@link #checkForChanges} sees the auth store change (the CLI
 * editing tokens of the running registry), and a login never outlives its password's expiry.
 */
public final class AccessControl {
  private static final Logger LOG = LoggerFactory.getLogger(AccessControl.class);
  /** A verified login is re-checked at least this often even if nothing seems to change. */
  private static final Duration CACHE_LIFETIME = Duration.ofMinutes(5);

  private final AuthStore store;
  private final Authenticator authenticator;
  private final TokenService tokens;
  /**
   * The policy from configuration, replaced whole by {@link #reconfigure}: each request reads it
   * once where it decides, so a reload never affects a request already past its check.
   */
  private volatile Policy policy;
  private final Clock clock;
  private final SecretKeySpec cacheKey;

  private record CachedLogin(Principal principal, Instant until) {}

  private final Cache<String, CachedLogin> basicLogins =
      Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(CACHE_LIFETIME).build();
  private final Cache<String, TokenService.Verified> bearerTokens =
      Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(CACHE_LIFETIME).build();
  /** Token name → the token as it is now (or why it cannot be used), for Bearer requests. */
  private final Cache<String, Result> currentTokens =
      Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(CACHE_LIFETIME).build();
  private volatile long seenVersion;
  /** Since start, for the metrics: refused logins, and logins answered 429 without a check. */
  private final LongAdder failedLogins = new LongAdder();
  private final LongAdder throttledLogins = new LongAdder();

  public AccessControl(AuthStore store, Authenticator authenticator, TokenService tokens,
      LoginThrottle throttle, Anonymous anonymousPolicy, List<String> adminTokens, Clock clock) {
    this.store = store;
    this.authenticator = authenticator;
    this.tokens = tokens;
    this.policy = new Policy(anonymousPolicy, adminTokens, throttle);
    this.clock = clock;
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    this.cacheKey = new SecretKeySpec(key, "HmacSHA256");
    this.seenVersion = store.dataVersion();
  }

  public AuthStore store() {
    return store;
  }

  /** What configuration decides here, held together so a reload swaps it in one write. */
  private record Policy(Anonymous anonymousPolicy, Principal.Anonymous anonymous,
      Set<String> adminTokens, LoginThrottle throttle) {
    Policy(Anonymous anonymousPolicy, List<String> adminTokens, LoginThrottle throttle) {
      this(anonymousPolicy, new Principal.Anonymous(switch (anonymousPolicy) {
        case FULL -> EnumSet.copyOf(Action.repositoryActions());
        case PULL -> EnumSet.of(Action.CONTENT_READ, Action.METADATA_READ);
        case NONE -> EnumSet.noneOf(Action.class);
      }), Set.copyOf(adminTokens), throttle);
    }
  }

  /**
   * Applies a new anonymous policy, admin token list and failed-login budget (the throttle is
   * replaced only when its budget changes, so addresses already throttled stay so), and drops
   * cached logins: a cached principal carries the mode and policy it was resolved under.
   */
  public void reconfigure(Anonymous anonymousPolicy, List<String> adminTokens, int failedLoginsPerMinute) {
    LoginThrottle throttle = policy.throttle();
    if (throttle.failuresPerMinute() != failedLoginsPerMinute) {
      throttle = new LoginThrottle(failedLoginsPerMinute);
    }
    policy = new Policy(anonymousPolicy, adminTokens, throttle);
    invalidate();
  }

  public Anonymous anonymousPolicy() {
    return policy.anonymousPolicy();
  }

  public Principal.Anonymous anonymous() {
    return policy.anonymous();
  }

  public LoginThrottle throttle() {
    return policy.throttle();
  }

  /** Logins refused (a wrong password, or a refresh token no longer valid) since start. */
  public long failedLogins() {
    return failedLogins.sum();
  }

  /** Logins answered 429 without a check, their address (or all) out of budget, since start. */
  public long throttledLogins() {
    return throttledLogins.sum();
  }

  private void loginFailed(String address) {
    failedLogins.increment();
    throttle().failed(address);
  }

  private boolean throttled(String address) {
    if (throttle().throttled(address)) {
      throttledLogins.increment();
      return true;
    }
    return false;
  }

  public TokenService tokens() {
    return tokens;
  }

  /**
   * Basic credentials of a token named in {@code auth.adminTokens}. Never a Bearer token, whatever
   * token it was issued to: Bearer tokens carry repository scopes for registry clients (docker, a
   * child's sync), which cache them and pass them around; operator power stays with the admin's
   * password. Basic logins are cached, so this costs an admin client nothing per request.
   */
  public boolean isAdmin(Principal principal) {
    return principal instanceof Principal.Basic && policy.adminTokens().contains(principal.tokenName());
  }

  /**
   * May see the whole sync status and start a sync: an admin, or anyone where anonymous callers
   * may do everything (a registry on loopback without tokens).
   */
  public boolean isOperator(Principal principal) {
    return isAdmin(principal) || (principal instanceof Principal.Anonymous a
        && a.actions().containsAll(Action.repositoryActions()));
  }

  /**
   * Non-blocking: the principal for {@code authorization} if it needs no disk or hashing work
   * (no header, or credentials seen before). Empty means: call {@link #resolve} on a worker.
   */
  public Optional<Principal> cached(String authorization) {
    if (authorization == null || authorization.isBlank()) {
      return Optional.of(anonymous());
    }
    Instant now = clock.instant();
    if (isScheme(authorization, "Basic")) {
      CachedLogin login = basicLogins.getIfPresent(cacheKey(authorization));
      return login != null && now.isBefore(login.until()) ? Optional.of(login.principal())
          : Optional.empty();
    }
    if (isScheme(authorization, "Bearer")) {
      TokenService.Verified verified = bearerTokens.getIfPresent(authorization);
      if (verified == null || !now.isBefore(verified.expires())) {
        return Optional.empty();
      }
      if (verified.subject() == null) {
        return Optional.of(anonymous());
      }
      Result current = currentTokens.getIfPresent(verified.subject());
      return current == null ? Optional.empty() : Optional.of(bearer(verified, current));
    }
    return Optional.empty();
  }

  /**
   * Blocking (PBKDF2 for a new Basic credential, the auth store for a new Bearer token): run on a
   * worker. {@code address} is the client's IP, for throttling failed logins.
   *
   * @throws LoginException when the credentials are refused or the address is throttled
   */
  public Principal resolve(String authorization, String address) {
    Optional<Principal> cached = cached(authorization);
    if (cached.isPresent()) {
      return cached.get();
    }
    if (isScheme(authorization, "Basic")) {
      return basic(authorization, address);
    }
    if (isScheme(authorization, "Bearer")) {
      return bearer(authorization.substring("Bearer".length()).trim(), authorization);
    }
    throw new LoginException(Kind.UNAUTHENTICATED, "unsupported Authorization scheme");
  }

  /** Checks a token name and password (the token endpoint's password grant); blocking. */
  public Principal.Basic login(String name, String password, String address) {
    if (throttled(address)) {
      throw new LoginException(Kind.THROTTLED, "too many failed logins from " + address
          + " or in all; refused without checking");
    }
    Result result = authenticator.authenticate(name, password, clock.instant());
    if (result instanceof Refused refused) {
      loginFailed(address);
      LOG.info("login refused for token '{}' from {}: {}", printable(name), address,
          refused.reason());
      throw new LoginException(Kind.UNAUTHENTICATED, "login refused: " + refused.reason());
    }
    return new Principal.Basic((Authenticated) result);
  }

  private Principal basic(String authorization, String address) {
    String[] credentials = decodeBasic(authorization);
    Principal.Basic principal = login(credentials[0], credentials[1], address);
    Instant until = clock.instant().plus(CACHE_LIFETIME);
    Instant expires = principal.login().validUntil();
    if (expires != null && expires.isBefore(until)) {
      until = expires;
    }
    basicLogins.put(cacheKey(authorization), new CachedLogin(principal, until));
    return principal;
  }

  private Principal bearer(String token, String authorization) {
    TokenService.Verified verified = tokens.verifyAccess(token, clock.instant())
        .orElseThrow(() -> new LoginException(Kind.INVALID_TOKEN,
            "Bearer token is not valid here or has expired"));
    bearerTokens.put(authorization, verified);
    if (verified.subject() == null) {
      return anonymous();
    }
    Result current = currentTokens.get(verified.subject(), authenticator::current);
    return bearer(verified, current);
  }

  private Principal bearer(TokenService.Verified verified, Result current) {
    if (current instanceof Refused refused) {
      throw new LoginException(Kind.INVALID_TOKEN,
          "Bearer token of '" + verified.subject() + "' no longer valid: " + refused.reason());
    }
    return new Principal.Bearer((Authenticated) current, verified.granted(), verified.catalog());
  }

  /**
   * The token endpoint's answer for {@code principal}: the requested scopes narrowed to what it
   * may do (possibly nothing, which is still a valid token, as the protocol says).
   */
  public TokenService.Issued issue(Principal principal, Scope.Request request, String service) {
    Map<String, Set<Action>> granted = new LinkedHashMap<>();
    request.repositories().forEach((repository, wanted) -> {
      EnumSet<Action> both = wanted.isEmpty() ? EnumSet.noneOf(Action.class) : EnumSet.copyOf(wanted);
      both.retainAll(principal instanceof Principal.Bearer b ? b.obtainable(repository)
          : principal.allowed(repository));
      granted.put(repository, both);
    });
    boolean catalog = request.catalog() && !(principal instanceof Principal.Anonymous a
        && !a.mayListCatalog());
    return tokens.issueAccess(principal.tokenName(), service, granted, catalog, clock.instant());
  }

  /** A refresh token for a principal that logged in with a password, bound to that password. */
  public TokenService.Issued issueRefresh(Principal.Basic principal, String service) {
    return tokens.issueRefresh(principal.tokenName(), principal.login().password().fingerprint(),
        service, clock.instant());
  }

  /**
   * The token endpoint's refresh grant: the token as it is now, if the password the refresh token
   * was issued for is still in place and unexpired (so regenerating or deleting a leaked password
   * also revokes the refresh tokens it gave); blocking.
   */
  public Principal refresh(String refreshToken, String address) {
    if (throttled(address)) {
      throw new LoginException(Kind.THROTTLED,
          "too many failed logins from " + address + " or in all");
    }
    Instant now = clock.instant();
    Optional<TokenService.Refresh> grant = tokens.verifyRefresh(refreshToken, now);
    if (grant.isEmpty()) {
      loginFailed(address);
      throw new LoginException(Kind.UNAUTHENTICATED, "refresh token is not valid or expired");
    }
    String name = grant.get().subject();
    Result current = authenticator.current(name);
    if (current instanceof Refused refused) {
      loginFailed(address);
      throw new LoginException(Kind.UNAUTHENTICATED,
          "refresh token of '" + name + "' no longer valid: " + refused.reason());
    }
    Authenticated token = (Authenticated) current;
    Optional<TokenPassword> password = token.token().passwords().stream()
        .filter(p -> p.fingerprint().equals(grant.get().passwordFingerprint()) && !p.expiredAt(now))
        .findFirst();
    if (password.isEmpty()) {
      loginFailed(address);
      throw new LoginException(Kind.UNAUTHENTICATED, "refresh token of '" + name
          + "' no longer valid: the password it was issued for was replaced, deleted or expired");
    }
    return new Principal.Basic(new Authenticated(token.token(), token.scopeMap(), token.readOnly(),
        password.get()));
  }

  /**
   * Blocking: drops every cached login if the auth store changed since the last call (another
   * process, e.g. the CLI, or the admin API). Called periodically by the server.
   */
  public boolean checkForChanges() {
    long version = store.dataVersion();
    if (version == seenVersion) {
      return false;
    }
    seenVersion = version;
    invalidate();
    LOG.info("tokens or scope maps changed; cached logins dropped");
    return true;
  }

  public void invalidate() {
    basicLogins.invalidateAll();
    bearerTokens.invalidateAll();
    currentTokens.invalidateAll();
  }

  /**
   * [name, password] of a header for which {@link #isScheme isScheme(authorization, "Basic")}.
   *
   * @throws LoginException ({@link Kind#UNAUTHENTICATED}) when it is not base64 or has no ':'
   */
  public static String[] decodeBasic(String authorization) {
    String encoded = authorization.substring("Basic".length()).trim();
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new LoginException(Kind.UNAUTHENTICATED, "Basic credentials are not base64");
    }
    int colon = decoded.indexOf(':');
    if (colon < 0) {
      throw new LoginException(Kind.UNAUTHENTICATED, "Basic credentials have no ':'");
    }
    return new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
  }

  public static boolean isScheme(String authorization, String scheme) {
    return authorization != null && authorization.length() > scheme.length()
        && authorization.regionMatches(true, 0, scheme, 0, scheme.length())
        && authorization.charAt(scheme.length()) == ' ';
  }

  private String cacheKey(String authorization) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(cacheKey);
      return HexFormat.of().formatHex(mac.doFinal(authorization.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  /** A user-typed name for the log: bounded and without control characters. */
  private static String printable(String name) {
    if (name == null) {
      return "";
    }
    String clean = name.replaceAll("\\p{Cntrl}", "?");
    return clean.length() > 64 ? clean.substring(0, 64) + "..." : clean;
  }
}
