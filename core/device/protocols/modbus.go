package protocols

// crc16Modbus is the CRC-16/MODBUS of data (reflected polynomial 0xa001,
// initial value 0xffff).
func crc16Modbus(data []byte) uint16 {
	crc := uint16(0xffff)
	for _, b := range data {
		crc ^= uint16(b)
		for i := 0; i < 8; i++ {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xa001
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}
