package io.connectedregistry.sync;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A parsed {@code WWW-Authenticate} header: {@code Basic realm="x"} or
 * {@code Bearer realm="https://auth/token",service="registry",scope="repository:a:pull"}.
 */
public record AuthChallenge(String scheme, Map<String, String> parameters) {

  public AuthChallenge {
    parameters = Map.copyOf(parameters);
  }

  public boolean basic() {
    return "basic".equals(scheme);
  }

  public boolean bearer() {
    return "bearer".equals(scheme);
  }

  public String realm() {
    return parameters.get("realm");
  }

  public String service() {
    return parameters.get("service");
  }

  public String scope() {
    return parameters.get("scope");
  }

  /** Null when the header is missing or not of the form {@code scheme k="v",k2=v2}. */
  public static AuthChallenge parse(String header) {
    if (header == null || header.isBlank()) {
      return null;
    }
    String text = header.trim();
    int space = text.indexOf(' ');
    String scheme = (space < 0 ? text : text.substring(0, space)).toLowerCase(Locale.ROOT);
    Map<String, String> params = new HashMap<>();
    int i = space < 0 ? text.length() : space + 1;
    while (i < text.length()) {
      while (i < text.length() && (text.charAt(i) == ' ' || text.charAt(i) == ',')) {
        i++;
      }
      int eq = text.indexOf('=', i);
      if (eq < 0) {
        break;
      }
      String key = text.substring(i, eq).trim().toLowerCase(Locale.ROOT);
      i = eq + 1;
      StringBuilder value = new StringBuilder();
      if (i < text.length() && text.charAt(i) == '"') {
        i++;
        while (i < text.length() && text.charAt(i) != '"') {
          if (text.charAt(i) == '\\' && i + 1 < text.length()) {
            i++;
          }
          value.append(text.charAt(i++));
        }
        i++; // closing quote
      } else {
        while (i < text.length() && text.charAt(i) != ',') {
          value.append(text.charAt(i++));
        }
      }
      params.put(key, value.toString().trim());
    }
    return new AuthChallenge(scheme, params);
  }
}
