#!/usr/bin/env python3
"""smtp_send.py PORT FROM RCPT MESSAGE-FILE [--starttls] [--cert CERT --key KEY]

Send one message over SMTP to 127.0.0.1:PORT and print each reply as
"STAGE CODE TEXT" (one line), so the test can assert what the MTA answered.
Exits 0 even when the MTA refuses: the replies are the result."""
import smtplib
import ssl
import sys


def main():
    port, mfrom, rcpt, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    args = sys.argv[5:]
    with open(path, "rb") as f:
        data = f.read()
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example", timeout=30)
    code, text = s.ehlo()
    print("ehlo", code, text.split(b"\n")[0].decode(errors="replace"))
    if "--starttls" in args:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if "--cert" in args:
            ctx.load_cert_chain(args[args.index("--cert") + 1], args[args.index("--key") + 1])
        code, text = s.starttls(context=ctx)
        print("starttls", code, text.decode(errors="replace"))
        s.ehlo()
    code, text = s.mail(mfrom)
    print("mail", code, text.decode(errors="replace"))
    code, text = s.rcpt(rcpt)
    print("rcpt", code, text.decode(errors="replace"))
    if code >= 400:
        s.quit()
        return
    try:
        code, text = s.data(data)
    except smtplib.SMTPDataError as e:
        code, text = e.smtp_code, e.smtp_error
    print("data", code, text.decode(errors="replace"))
    s.quit()


if __name__ == "__main__":
    main()
