# In-guest benchmark plan of scripts/vm-bench: the same loops without the module, then with it
# loaded and a reader draining the rings on the other CPU.
T=/kmod-guest-test
echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd
$T bench; echo "=== RESULT bench-baseline rc=$?"
insmod /falco.ko; echo "=== RESULT insmod rc=$?"
$T bench idle; echo "=== RESULT bench-idle rc=$?"
$T bench capture; echo "=== RESULT bench-capture rc=$?"
rmmod falco; echo "=== RESULT rmmod rc=$?"
$T bench; echo "=== RESULT bench-baseline2 rc=$?"
