package io.connectedregistry.auth;

/** A token has two password slots so one password can be rotated while the other still works. */
public enum PasswordSlot {
  PASSWORD1(1),
  PASSWORD2(2);

  private final int number;

  PasswordSlot(int number) {
    this.number = number;
  }

  public int number() {
    return number;
  }

  public static PasswordSlot of(int number) {
    for (PasswordSlot s : values()) {
      if (s.number == number) {
        return s;
      }
    }
    throw new IllegalArgumentException("password slot must be 1 or 2, not " + number);
  }
}
