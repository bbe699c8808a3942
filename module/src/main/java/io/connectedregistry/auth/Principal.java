package io.connectedregistry.auth;

import io.connectedregistry.auth.Authenticator.Authenticated;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Who is making a request, and what they may do. Resolved once per request by {@link
 * AccessControl}; the HTTP layer only asks {@link #allowed(String)}.
 */
public sealed interface Principal {

  /** For logs: "anonymous" or the token name. Never a secret. */
  String displayName();

  /** The actions this request may perform on {@code repository}. */
  Set<Action> allowed(String repository);

  /**
   * The actions the caller could get on {@code repository} by asking for them: for a Bearer token,
   * what its token's scope map grants beyond the token's scopes. A request that needs one of these
   * is answered 401 with a challenge naming the scope (the client fetches a wider token), not 403.
   */
  default Set<Action> obtainable(String repository) {
    return allowed(repository);
  }

  /**
   * Whether the caller may learn that {@code repository} exists and what it holds (in listings
   * such as the sync status): it may read it, or could get a Bearer token that does.
   */
  default boolean maySee(String repository) {
    Set<Action> actions = obtainable(repository);
    return actions.contains(Action.CONTENT_READ) || actions.contains(Action.METADATA_READ);
  }

  /**
   * Whether the caller may take the gateway {@code action} (config/read, config/write,
   * message/read, message/write) on the connected registry named {@code registry}: only Basic
   * credentials of a token whose scope map has a {@code gateway/<registry>} rule granting it.
   * Anonymous callers and Bearer tokens (repository scopes only) never may.
   */
  default boolean allowsGateway(String registry, Action action) {
    return false;
  }

  /** Whether {@code GET /v2/_catalog} is open to this caller (the list is still filtered). */
  boolean mayListCatalog();

  /** The token behind the request, or null when anonymous. */
  default String tokenName() {
    return null;
  }

  /** No credentials; {@code actions} are what the anonymous policy allows on every repository. */
  record Anonymous(Set<Action> actions) implements Principal {
    public Anonymous {
      actions = actions.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(actions));
    }

    @Override
    public String displayName() {
      return "anonymous";
    }

    @Override
    public Set<Action> allowed(String repository) {
      return actions;
    }

    @Override
    public boolean mayListCatalog() {
      return actions.contains(Action.METADATA_READ);
    }
  }

  /** Basic credentials, checked against the token's password: its scope map applies whole. */
  record Basic(Authenticated login) implements Principal {
    @Override
    public String displayName() {
      return login.token().name();
    }

    @Override
    public Set<Action> allowed(String repository) {
      return login.allowed(repository);
    }

    @Override
    public boolean mayListCatalog() {
      return true;
    }

    @Override
    public boolean allowsGateway(String registry, Action action) {
      return action.isGateway() && login.allowsGateway(registry, action);
    }

    @Override
    public String tokenName() {
      return login.token().name();
    }
  }

  /**
   * A Bearer token from {@code /oauth2/token}: the scopes it was issued for, narrowed by what the
   * token's scope map grants now (so disabling a token or shrinking its map applies at once).
   *
   * @param current the token as it is now
   * @param granted actions per repository name the Bearer token carries
   * @param catalog whether it was issued with {@code registry:catalog:*}
   */
  record Bearer(Authenticated current, Map<String, Set<Action>> granted, boolean catalog)
      implements Principal {
    public Bearer {
      granted = Map.copyOf(granted);
    }

    @Override
    public String displayName() {
      return current.token().name();
    }

    @Override
    public Set<Action> allowed(String repository) {
      Set<Action> carried = granted.get(repository);
      if (carried == null || carried.isEmpty()) {
        return Set.of();
      }
      EnumSet<Action> both = EnumSet.copyOf(carried);
      both.retainAll(current.allowed(repository));
      return both;
    }

    @Override
    public Set<Action> obtainable(String repository) {
      return current.allowed(repository);
    }

    @Override
    public boolean mayListCatalog() {
      return catalog;
    }

    @Override
    public String tokenName() {
      return current.token().name();
    }
  }
}
