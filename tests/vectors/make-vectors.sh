#!/usr/bin/env bash
# Makes the independent test vectors the xunit tests check our code against: keys by openssl,
# RSA and DSA signatures by `openssl dgst -sha1 -sign`, MD5 signatures by python's hashlib over
# bytes that iconv wrote in GBK. Run once; the outputs are committed (the keys are test keys only).
set -euo pipefail
cd "$(dirname "$0")"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.pk8.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.pk8.pem 2>/dev/null
openssl rsa -in rsa2048.pk8.pem -traditional -out rsa2048.pkcs1.pem 2>/dev/null
openssl dsaparam -out dsa1024.params 1024 2>/dev/null
openssl gendsa -out dsa1024.tmp.pem dsa1024.params 2>/dev/null
openssl pkey -in dsa1024.tmp.pem -traditional -out dsa1024.trad.pem
rm dsa1024.tmp.pem
rm dsa1024.params
openssl pkcs8 -topk8 -nocrypt -in dsa1024.trad.pem -out dsa1024.pk8.pem
for k in rsa1024 rsa2048; do openssl pkey -in $k.pk8.pem -pubout -out $k.pub.pem; done
openssl pkey -in dsa1024.pk8.pem -pubout -out dsa1024.pub.pem

# The sign strings: spec 6.3's notification with a Chinese file name, as utf-8 and as gbk bytes.
printf '%s' 'file_name=批量付款20101130.csv&flag=bptb_unfreeze_file&notify_id=dfbd26e612bddb4ad707efec0f0d8f3700&notify_time=2009-08-12 11:08:32&notify_type=bptb_unfreeze_notify&pay_date=20101130' > message.utf8.txt
iconv -f utf-8 -t gbk message.utf8.txt > message.gbk.bin

for k in rsa1024 rsa2048 dsa1024; do
  for m in utf8.txt gbk.bin; do
    openssl dgst -sha1 -sign $k.pk8.pem -out sig.bin message.$m
    base64 -w0 sig.bin > $k.${m%%.*}.sig.b64
  done
done
rm -f sig.bin

# MD5: python's hashlib over the same bytes with the key appended (spec 8.2.1).
python3 - <<'PY'
import hashlib, json
key = "k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4"
utf8 = open("message.utf8.txt", "rb").read()
gbk = open("message.gbk.bin", "rb").read()
spec_812 = ("_input_charset=gb2312&email=gongsil@shoufei.com&file_nam=1069900000120880019120653302010020902.csv"
            "&notify_url=http://www.test.com/alipay/notify_url.php&partner=2088002464631181"
            "&return_url=http://www.test.com/alipay/return_url.php&service=bptb_user_confirm")
vectors = {
    "key": key,
    "md5_utf8": hashlib.md5(utf8 + key.encode("ascii")).hexdigest(),
    "md5_gbk": hashlib.md5(gbk + key.encode("ascii")).hexdigest(),
    "md5_spec_812_gb2312": hashlib.md5(spec_812.encode("gb2312") + key.encode("ascii")).hexdigest(),
    "gbk_bytes_hex": gbk.hex(),
}
json.dump(vectors, open("md5.json", "w"), indent=2, ensure_ascii=False)
PY
echo "vectors written"
