UCLA pl 1.0
a x0 0 : N
b 2 0 : N
m 4 0 : N
p 0 2 : N /FIXED
